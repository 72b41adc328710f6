#!/usr/bin/env bash
# The README's run command: install what is missing, build (Release, build/), start nats-server
# (JetStream) and PostgreSQL under .local/, run `eventhub all`, publish a sample load, wait until it
# is stored, print an analytics summary and the URLs. Everything keeps running; stop it with
#   bash scripts/stop_local.sh
# Re-running restarts the stack cleanly (the data in .local/ is kept).
#   SAMPLE_EVENTS=100000   events to publish (0 = none)
#   EVENTHUB_SKIP_DEPS=1   do not check/install Debian packages
#   EVENTHUB_SKIP_BUILD=1  use the existing build/eventhub (or $EVENTHUB_BINARY)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=local_stack.sh
. scripts/local_stack.sh

local_dir="$root/.local"
sample="${SAMPLE_EVENTS:-100000}"
step() { printf '\n==> %s\n' "$*"; }
problems=()

if [ "${EVENTHUB_SKIP_DEPS:-0}" != 1 ]; then
  step "dependencies"
  bash scripts/install_deps.sh
fi
if [ "${EVENTHUB_SKIP_BUILD:-0}" != 1 ]; then
  step "build (Release, build/)"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target eventhub
fi
bin="${EVENTHUB_BINARY:-$root/build/eventhub}"
[ -x "$bin" ] || stack_die "$bin is missing"

if [ -f "$local_dir/stack.env" ]; then
  step "a previous local stack exists: stopping it first (data is kept)"
  bash scripts/stop_local.sh
fi

step "services under .local/"
mkdir -p "$local_dir/logs"
nats_port="$(pick_port 4222)"
nats_mon="$(pick_port 8222)"
pg_port="$(pick_port 5432)"
ingest_port="$(pick_port 3001)"
worker_port="$(pick_port 3004)"
analytics_port="$(pick_port 3002)"
pg_base="$(pg_base_for "$local_dir")"
cat >"$local_dir/stack.env" <<EOF
# Written by scripts/run_local.sh; read by scripts/stop_local.sh. Source it to talk to the stack.
NATS_URL=nats://127.0.0.1:$nats_port
DATABASE_URL=postgresql://postgres@127.0.0.1:$pg_port/eventhub
NATS_MONITOR_PORT=$nats_mon
PG_PORT=$pg_port
PG_BASE=$pg_base
INGEST_PORT=$ingest_port
WORKER_PORT=$worker_port
ANALYTICS_PORT=$analytics_port
EOF

start_nats "$local_dir" "$nats_port" "$nats_mon"
echo "nats-server   127.0.0.1:$nats_port (JetStream store .local/nats, monitor :$nats_mon, pid $(cat "$local_dir/nats.pid"))"
start_pg "$pg_base" "$pg_port" "$local_dir/logs/postgres.log"
if [ "$(psql_q "$pg_port" postgres "select count(*) from pg_database where datname = 'eventhub'")" = 0 ]; then
  psql_q "$pg_port" postgres "create database eventhub" >/dev/null
fi
echo "PostgreSQL    127.0.0.1:$pg_port (data $pg_base/pg, database eventhub, pid $(pg_pid "$pg_base"))"

nohup setsid "$bin" all --ingest-port "$ingest_port" --worker-port "$worker_port" --analytics-port "$analytics_port" \
  --nats-url "nats://127.0.0.1:$nats_port" --database-url "postgresql://postgres@127.0.0.1:$pg_port/eventhub" \
  </dev/null >>"$local_dir/logs/eventhub.log" 2>&1 &
eh_pid=$!
echo "$eh_pid" >"$local_dir/eventhub.pid"
for port in "$ingest_port" "$worker_port" "$analytics_port"; do
  if ! wait_http "http://127.0.0.1:$port/health/readiness" 60 "$eh_pid" "$bin"; then
    tail -n 30 "$local_dir/logs/eventhub.log" >&2
    stack_die "eventhub all is not ready on port $port (log: .local/logs/eventhub.log)"
  fi
done
echo "eventhub all  ingest :$ingest_port, worker :$worker_port, analytics :$analytics_port (pid $eh_pid, log .local/logs/eventhub.log)"

if [ "$sample" -gt 0 ]; then
  step "publishing $sample sample events"
  seed="$(date +%s)"
  summary="$("$bin" publish --url "http://127.0.0.1:$ingest_port/webhook/event" --count "$sample" --batch 100 \
    --seed "$seed")" || stack_die "publish failed: $summary"
  echo "$summary"
  expected="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["uniqueAccepted"])' "$summary")"

  step "waiting until the $expected accepted events are in PostgreSQL"
  deadline=$(($(date +%s) + ${PERSIST_TIMEOUT_S:-300}))
  stored=0
  while :; do
    stored="$(psql_q "$pg_port" eventhub "select count(*) from events where event_id like 'evt-$seed-%'" 2>/dev/null || echo 0)"
    [ "$stored" -ge "$expected" ] && break
    [ "$(date +%s)" -ge "$deadline" ] && stack_die "only $stored of $expected events stored after ${PERSIST_TIMEOUT_S:-300}s (see .local/logs/eventhub.log)"
    sleep 0.5
  done
  echo "stored: $stored rows (seed $seed)"

  step "analytics: every stored event of the last 24 hours (earlier runs' data in .local/ included)"
  from="$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)"
  to="$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
  api="http://127.0.0.1:$analytics_port/analytics"
  if ! stats="$(curl -fsS --max-time 30 "$api/stats?from=$from&to=$to" 2>&1)" ||
    ! funnel="$(curl -fsS --max-time 30 "$api/funnel?from=$from&to=$to" 2>&1)"; then
    echo "warning: the analytics API did not answer: ${funnel:-$stats} (see .local/logs/eventhub.log)" >&2
    problems+=("analytics API")
  else
    python3 - "$stats" "$funnel" <<'PY'
import json, sys
stats, funnel = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"events: {stats['total']}   unique users: {stats['uniqueUsers']}")
print("by source: " + ", ".join(f"{k} {v}" for k, v in stats["bySource"].items()))
print("by funnel stage: " + ", ".join(f"{k} {v}" for k, v in stats["byFunnelStage"].items()))
top = sorted(stats["byEventType"], key=lambda e: -e["count"])[:5]
print("top event types: " + ", ".join(f"{e['source']}/{e['eventType']} {e['count']}" for e in top))
print(f"funnel: top users {funnel['top']['users']}, bottom users {funnel['bottom']['users']}, "
      f"converted {funnel['convertedUsers']} ({funnel['conversionRate'] * 100:.1f}%)")
for s in funnel.get("bySource", []):
    print(f"  {s['source']}: converted {s['convertedUsers']} ({s['conversionRate'] * 100:.1f}%)")
PY
  fi
fi

if ! pid_alive "$eh_pid" "$bin"; then
  tail -n 20 "$local_dir/logs/eventhub.log" >&2
  stack_die "eventhub all (pid $eh_pid) has exited (log: .local/logs/eventhub.log)"
fi
step "running"
cat <<EOF
Ingest API      http://127.0.0.1:$ingest_port/webhook/event    Swagger UI http://127.0.0.1:$ingest_port/api
Analytics API   http://127.0.0.1:$analytics_port/analytics/stats   Swagger UI http://127.0.0.1:$analytics_port/api
Metrics         http://127.0.0.1:$ingest_port/metrics  http://127.0.0.1:$worker_port/metrics  http://127.0.0.1:$analytics_port/metrics
Health          http://127.0.0.1:$ingest_port/health/readiness  (also :$worker_port and :$analytics_port; /health/liveness)
NATS monitor    http://127.0.0.1:$nats_mon/jsz
PostgreSQL      psql -h 127.0.0.1 -p $pg_port -U postgres eventhub
More load       build/eventhub publish --url http://127.0.0.1:$ingest_port/webhook/event --count 100000 --batch 100
Logs            .local/logs/   Connection settings: .local/stack.env
Stop            bash scripts/stop_local.sh
EOF
if [ ${#problems[@]} -gt 0 ]; then
  echo "finished with problems: ${problems[*]}" >&2
  exit 1
fi
