#!/bin/sh
# Bursty demo load for compose: runs `eventhub publish` over and over with a random size, a random seed
# (new eventIds every burst) and, now and then, a spike at PUBLISHER_PEAK_RATE; quiet pauses in between.
# `eventhub publish` itself retries 429/503/network errors with backoff and honours Retry-After; when a
# whole burst fails (ingest gone), this loop waits longer and longer (up to 60 s) and tries again.
# Other PUBLISH_* variables (URL, BATCH, CONNECTIONS, DUPLICATE_RATIO, INVALID_RATIO, ...) reach
# `eventhub publish` directly through its environment.
set -u

burst_min=${PUBLISHER_BURST_MIN:-2000}
burst_max=${PUBLISHER_BURST_MAX:-20000}
base_rate=${PUBLISHER_RATE:-1000}
peak_rate=${PUBLISHER_PEAK_RATE:-5000}
peak_every=${PUBLISHER_PEAK_EVERY:-4}
pause_max=${PUBLISHER_PAUSE_MAX_S:-20}
# Touched after every successful burst; the compose healthcheck wants it recent.
heartbeat=/tmp/publisher.heartbeat

random() { od -An -N4 -tu4 /dev/urandom | tr -d ' '; }

# Children run in the background and are waited for, so `docker stop` (SIGTERM) is handled at once:
# a running burst is asked to stop too, then the loop exits 0.
child=
stop() {
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"
  exit 0
}
trap stop TERM INT
run() { "$@" & child=$!; wait "$child"; status=$?; child=; return "$status"; }

failures=0
while :; do
  count=$((burst_min + $(random) % (burst_max - burst_min + 1)))
  rate=$base_rate
  [ $(($(random) % peak_every)) -eq 0 ] && rate=$peak_rate
  seed=$(random)
  echo "publisher: burst of $count events at ${rate}/s (seed $seed)"
  if run eventhub publish --count "$count" --rate "$rate" --seed "$seed" --progress none; then
    failures=0
    touch "$heartbeat"
    run sleep $(($(random) % (pause_max + 1)))
  else
    failures=$((failures + 1))
    delay=$((failures * 5))
    [ "$delay" -gt 60 ] && delay=60
    echo "publisher: burst failed ($failures in a row), next try in ${delay}s" >&2
    run sleep "$delay"
  fi
done
