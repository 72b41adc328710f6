# One image for every role; the command picks it:
#   docker run --rm eventhub:local serve-ingest | run-worker | serve-analytics | all | migrate | publish | dlq ...
# The build stage mirrors CI: the same Debian 12 packages and the same cmake commands (tests off).
# compose/docker-compose.yml builds it as eventhub:local; docs/deploy.md explains the deployment.

ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config git ca-certificates \
      libboost1.81-dev libboost-json1.81-dev libnats-dev libpq-dev \
      prometheus-cpp-dev libcli11-dev zlib1g-dev catch2 libgoogle-perftools-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DEVENTHUB_BUILD_TESTS=OFF \
 && cmake --build build --parallel "$(nproc)" \
 && strip build/eventhub

FROM ${DEBIAN_IMAGE} AS runtime
# Only the shared libraries the binary links (apt adds their own dependencies), plus curl for HEALTHCHECK:
# libpq5 already brings OpenSSL, Kerberos and LDAP, so curl costs about 3 MB more and answers with a
# real HTTP status and timeout, which a bash /dev/tcp probe would not.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libboost-json1.81.0 libnats3.4 libpq5 libprometheus-cpp-core1.0 zlib1g libtcmalloc-minimal4 \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 eventhub \
 && useradd --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin eventhub
# sql/ migrations are embedded in the binary (src/pg): nothing else to copy.
COPY --from=build /src/build/eventhub /usr/local/bin/eventhub
# Fail the image build, not the first container start, when a shared library is missing.
RUN ! ldd /usr/local/bin/eventhub | grep 'not found' && eventhub --version
USER 10001:10001
ENV LOG_FORMAT=json
EXPOSE 3001 3002 3004
# Liveness of whichever role runs: its port is $PORT; without PORT, any role default (3001, 3004, 3002)
# that answers counts. `publish`, `migrate` and `dlq` serve nothing: give them their own check or none.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD for port in ${PORT:-3001 3004 3002}; do \
        curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${port}/health/liveness" && exit 0; \
      done; exit 1
ENTRYPOINT ["eventhub"]
CMD ["--help"]
