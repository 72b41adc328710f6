#!/usr/bin/env bash
# Worker throughput benchmark. A throwaway nats-server (JetStream, temp store) and PostgreSQL 15
# (initdb in a temp dir, defaults: fsync on, synchronous_commit on), then for each configuration:
# preload N realistic events into the EVENTS stream (bench/worker/preload.cpp: the `eventhub publish`
# generator, async JetStream publishes), start `eventhub run-worker` process(es) and time them
# draining the stream until every event is a row. Also: the bare COPY ceiling (the same rows, one
# `COPY ... FROM STDIN` into an empty copy of the events table with the same indexes).
# Output: bench/results/worker-<date>.txt
#
#   bench/worker/run.sh [N]             N events per run (default 1000000); QUICK=1 means 200000
#   env: BUILD (build dir, default build), CONFIGS (space-separated procs:batch:concurrency,
#        default "1:1000:1000 1:5000:5000 2:5000:5000 1:5000:10000"), KEEP=1 (keep the temp dir)
# Needs: nats-server, PostgreSQL 15 binaries, python3, curl, root (initdb runs as user postgres).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$repo/build}
if [[ ${QUICK:-0} == 1 ]]; then N=${1:-200000}; else N=${1:-1000000}; fi
CONFIGS=${CONFIGS:-"1:1000:1000 1:5000:5000 2:5000:5000 1:5000:10000"}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
EVENTHUB=$BUILD/eventhub
PRELOAD=$BUILD/bench/worker/eventhub_bench_preload

echo "building eventhub and the preload tool in $BUILD (-j2)" >&2
cmake -S "$repo" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j2 --target eventhub eventhub_bench_preload >/dev/null

mkdir -p "$repo/bench/results"
out="$repo/bench/results/worker-$(date -u +%Y%m%d-%H%M%S).txt"
tmp=$(mktemp -d /tmp/eventhub-bench-worker.XXXXXX)
chmod 755 "$tmp"
nats_pid=""
worker_pids=()

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
now() { date +%s.%N; }
cpu_seconds() {  # user + system CPU seconds of a process so far
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0
}
cpu_snapshot() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }  # busy total (jiffies)
busy_share() {  # share of the whole machine's CPU that was busy since snapshot $1 $2
  local now_busy now_total
  read -r now_busy now_total < <(cpu_snapshot)
  python3 -c "print(f'{100 * ($now_busy - $1) / max(1, $now_total - $2):.0f}%')"
}

cleanup() {
  for p in "${worker_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [[ -n $nats_pid ]]; then kill "$nats_pid" 2>/dev/null || true; wait "$nats_pid" 2>/dev/null || true; fi
  as_pg "$PGBIN/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  if [[ ${KEEP:-0} != 1 ]]; then rm -rf "$tmp"; else echo "kept $tmp" >&2; fi
}
trap cleanup EXIT
log() { echo "$*" | tee -a "$out" >&2; }

# PostgreSQL: defaults (fsync on, synchronous_commit on, shared_buffers 128MB).
pg_port=$(free_port)
chown postgres "$tmp" 2>/dev/null || true
as_pg "$PGBIN/initdb" -D "$tmp/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$tmp/data" -l "$tmp/pg.log" -w start \
  -o "-p $pg_port -k $tmp -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres "$@"; }
psql_ -d postgres -c "CREATE DATABASE bench"
db_url="postgresql://postgres@127.0.0.1:$pg_port/bench"
"$EVENTHUB" migrate --database-url "$db_url" >/dev/null 2>&1

# nats-server with JetStream on a temp store.
nats_port=$(free_port)
mon_port=$(free_port)
nats-server -a 127.0.0.1 -p "$nats_port" -m "$mon_port" -js -sd "$tmp/nats" >"$tmp/nats.log" 2>&1 &
nats_pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$mon_port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
nats_url="nats://127.0.0.1:$nats_port"

{
  echo "# eventhub worker benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# command: bench/worker/run.sh $N  (CONFIGS=\"$CONFIGS\")"
  echo "# commit: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown); host: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "# $(psql_ -d bench -Atc 'SELECT version()'); $(nats-server --version)"
  echo "# PostgreSQL defaults (fsync on, synchronous_commit on, shared_buffers 128MB); nats-server defaults, file store"
  echo "# events indexes: $(psql_ -d bench -Atc "SELECT string_agg(indexname, ', ' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'events'")"
  echo "# events: the 'eventhub publish' generator (seed 1), all valid, unique ids; one run = preload N into the stream, then drain"
} | tee -a "$out" >&2

persisted_total() {  # sum of eventhub_worker_messages_persisted_total over the running workers
  local sum=0 v
  for port in "$@"; do
    v=$(curl -fs "http://127.0.0.1:$port/metrics" 2>/dev/null | awk '/^eventhub_worker_messages_persisted_total /{print $2}')
    sum=$(python3 -c "print(int($sum + float('${v:-0}')))")
  done
  echo "$sum"
}

run_index=0
run_config() {
  local procs=$1 batch=$2 conc=$3
  psql_ -d bench -c "TRUNCATE events"
  local pre
  # New event ids for every run: the stream's duplicate window would drop a second copy of the same ids.
  pre=$("$PRELOAD" --nats-url "$nats_url" --count "$N" --first $((run_index * N)) --seed 1 2>>"$tmp/preload.log")
  run_index=$((run_index + 1))
  log "## procs=$procs batch=$batch concurrency=$conc: preload $pre; load average before the drain: $(cut -d' ' -f1-3 /proc/loadavg)"
  local ports=() t0 t1 pid nats_cpu0
  worker_pids=()
  nats_cpu0=$(cpu_seconds "$nats_pid")
  read -r busy0 total0 < <(cpu_snapshot)
  t0=$(now)
  for i in $(seq 1 "$procs"); do
    local port
    port=$(free_port)
    ports+=("$port")
    "$EVENTHUB" run-worker --host 127.0.0.1 --port "$port" --nats-url "$nats_url" --database-url "$db_url" \
      --batch-size "$batch" --concurrency "$conc" --max-ack-pending 40000 --db-pool-max 8 --db-pool-min 2 \
      --log-level "${WORKER_LOG_LEVEL:-warn}" >>"$tmp/worker-$i.log" 2>&1 &
    worker_pids+=($!)
  done
  local done_at="" last=0 stalled=0
  while :; do
    local p
    p=$(persisted_total "${ports[@]}")
    if (( p >= N )); then done_at=$(now); break; fi
    if (( p == last )); then stalled=$((stalled + 1)); else stalled=0; last=$p; fi
    if (( stalled > 600 )); then log "   STALLED at $p rows"; break; fi
    local alive=1
    for pid in "${worker_pids[@]}"; do kill -0 "$pid" 2>/dev/null || alive=0; done
    if (( alive == 0 )); then
      log "   A WORKER EXITED at $p rows; log tail:"; tail -20 "$tmp"/worker-*.log | tee -a "$out" >&2; break
    fi
    sleep 0.1
  done
  local machine_busy
  machine_busy=$(busy_share "$busy0" "$total0")
  local rss_list=() hwm cpu_list=()
  for pid in "${worker_pids[@]}"; do
    cpu_list+=("$(cpu_seconds "$pid")s")
    hwm=$(awk '/VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    rss_list+=("$((hwm / 1024))MiB")
  done
  local codes=()
  for pid in "${worker_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; if wait "$pid"; then codes+=(0); else codes+=($?); fi; done
  worker_pids=()
  local rows
  rows=$(psql_ -d bench -Atc "SELECT count(*) FROM events")
  if [[ -n $done_at ]]; then
    local secs rate
    secs=$(python3 -c "print(f'{$done_at - $t0:.2f}')")
    rate=$(python3 -c "print(int($N / ($done_at - $t0)))")
    log "   load average after: $(cut -d' ' -f1-3 /proc/loadavg); machine CPU busy during the drain $machine_busy ($(nproc) cores, everything running on the box); CPU used: worker(s) ${cpu_list[*]}, nats-server $(python3 -c "print(f'{$(cpu_seconds "$nats_pid") - $nats_cpu0:.1f}')")s"
    log "   drained $N events in ${secs}s = $rate events/s (from process start); rows=$rows; peak RSS (VmHWM) ${rss_list[*]}; exit codes ${codes[*]}"
    echo "$rate" >"$tmp/rate-$procs-$batch-$conc"
  else
    log "   did not finish; rows=$rows"
  fi
}

for cfg in $CONFIGS; do
  IFS=: read -r procs batch conc <<<"$cfg"
  run_config "$procs" "$batch" "$conc"
done

# COPY ceiling: the rows of the last run, COPYed in one statement into an empty table with the same
# columns, constraints and indexes.
psql_ -d bench -c "\\copy (SELECT event_id, source, funnel_stage, event_type, event_time, user_id, country, campaign_id, purchase_amount, data, extra FROM events) TO '$tmp/rows.tsv'"
psql_ -d bench -c "DROP TABLE IF EXISTS events_copy; CREATE TABLE events_copy (LIKE events INCLUDING ALL)"
read -r busy0 total0 < <(cpu_snapshot)
t0=$(now)
psql_ -d bench -c "\\copy events_copy (event_id, source, funnel_stage, event_type, event_time, user_id, country, campaign_id, purchase_amount, data, extra) FROM '$tmp/rows.tsv'"
t1=$(now)
copy_rate=$(python3 -c "print(int($N / ($t1 - $t0)))")
log "   machine CPU busy during the COPY: $(busy_share "$busy0" "$total0")"
log "## COPY ceiling: $N rows in $(python3 -c "print(f'{$t1 - $t0:.2f}')")s = $copy_rate rows/s (one COPY into an empty copy of events with the same indexes)"
for f in "$tmp"/rate-*; do
  [[ -e $f ]] || continue
  name=${f##*/rate-}
  log "   ratio procs-batch-concurrency=$name: $(python3 -c "print(f'{$(cat "$f") / $copy_rate:.2f}')") of the COPY ceiling"
done
echo "results: $out" >&2
