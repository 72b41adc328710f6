#!/usr/bin/env bash
# Static checks of the deployment files; no Docker engine needed. CI runs it; so can you:
#   scripts/check_deploy.sh
# Needs docker-compose (or the `docker compose` plugin), promtool and python3 (Debian 12:
# apt-get install docker-compose prometheus python3). The NATS configs are tested when a nats-server
# >= 2.10 is available (NATS_SERVER_210=/path/to/nats-server, or one on PATH); Debian 12's 2.9 cannot
# parse them, so that check is skipped with a note otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

failed=0
step() {
  local what=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    echo "ok    $what"
  else
    echo "FAIL  $what"
    printf '%s\n' "$out" | sed 's/^/      /'
    failed=1
  fi
}
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "FAIL  $1 not found (Debian 12: apt-get install $2)"
  failed=1
  return 1
}

compose=()
if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "FAIL  neither docker-compose nor the docker compose plugin found (apt-get install docker-compose)"
  failed=1
fi
if ((${#compose[@]})); then
  step "compose config: docker-compose.yml" \
    "${compose[@]}" -f compose/docker-compose.yml config -q
  step "compose config: docker-compose.yml + docker-compose.nats-cluster.yml" \
    "${compose[@]}" -f compose/docker-compose.yml -f compose/docker-compose.nats-cluster.yml config -q
  # The worker block of the resolved config must have neither key: `--scale worker=N` needs both gone.
  step "compose: worker is scalable (no container_name, no host ports)" bash -c '
    "$@" -f compose/docker-compose.yml config |
      awk "/^  [^ ]/ { in_worker = (\$1 == \"worker:\") } in_worker && /^    (container_name|ports):/ { print; bad = 1 }
           END { exit bad }"' _ "${compose[@]}"
fi

if need promtool prometheus; then
  step "promtool check config compose/prometheus/prometheus.yml" \
    promtool check config compose/prometheus/prometheus.yml
  step "promtool check rules compose/prometheus/alerts.yml" \
    promtool check rules compose/prometheus/alerts.yml
  step "promtool test rules compose/prometheus/alerts.test.yml" \
    promtool test rules compose/prometheus/alerts.test.yml
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  sed -e 's/__INGEST_TARGET__/127.0.0.1:3001/' -e 's/__WORKER_TARGET__/127.0.0.1:3004/' \
    -e 's/__ANALYTICS_TARGET__/127.0.0.1:3002/' -e "s|__ALERTS_FILE__|$PWD/compose/prometheus/alerts.yml|" \
    compose/prometheus/prometheus.local.yml >"$tmp/prometheus.yml"
  step "promtool check config prometheus.local.yml (placeholders filled)" \
    promtool check config "$tmp/prometheus.yml"
fi

if need python3 python3; then
  step "dashboards: JSON structure and datasource uid" python3 scripts/check_dashboards.py --lint
fi
step "publisher loop: sh -n compose/publisher/loop.sh" sh -n compose/publisher/loop.sh

nats=${NATS_SERVER_210:-$(command -v nats-server || true)}
if [[ -n $nats ]] && "$nats" --version 2>/dev/null | grep -Eq 'v2\.(1[0-9]|[2-9][0-9])\.'; then
  step "nats-server -t compose/nats/nats.conf ($("$nats" --version))" "$nats" -t -c compose/nats/nats.conf
  step "nats-server -t compose/nats/nats-cluster.conf" \
    env NATS_SERVER_NAME=check "$nats" -t -c compose/nats/nats-cluster.conf
else
  echo "skip  compose/nats/*.conf: needs nats-server >= 2.10 (found: ${nats:-none}); set NATS_SERVER_210"
fi

if ((failed)); then
  echo "check_deploy: FAILED"
  exit 1
fi
echo "check_deploy: all checks passed"
