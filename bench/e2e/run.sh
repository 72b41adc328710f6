#!/usr/bin/env bash
# End-to-end benchmark: nats-server + PostgreSQL (fresh, in a temp dir, free loopback ports) +
# eventhub (`all`, or with --split: serve-ingest + serve-analytics + two run-worker), then
# `eventhub publish` of N events, timed until the last row is in PostgreSQL. In the same run,
# PostgreSQL's own ceiling: one server-side INSERT ... SELECT of the same N rows (new ids) into an
# indexed copy of `events`. Prints the figures and appends them to bench/results/e2e-<date>.txt.
#
#   bash bench/e2e/run.sh [--split] [--events N] [--batch B] [--connections C] [--rate EPS] [--keep]
#                         [--preload N] [--analytics-clients C]
#   --preload N: N generated events (bench/analytics/generate.sql, spread over 30 days) stored and folded
#     into the rollups before the roles start; --analytics-clients C: while publishing, C wrk connections
#     cycle through every analytics endpoint (bench/e2e/analytics_mix.lua): requests/s, p50/p99, errors.
#     The analytics-under-load figure: --preload 1000000 --rate 5000 --analytics-clients 16 --events 300000
#   (env: EVENTHUB_BINARY=path, default build/eventhub, built as Release when missing; the roles
#    inherit the environment, so e.g. NATS_CONCURRENCY=5000 bash bench/e2e/run.sh tunes the worker)
#
# Measured: ingest events/s (publisher summary: accepted / publishing time), end-to-end events/s
# (first request sent -> last row visible in PostgreSQL), request latency p50/p99, the lag between
# the publisher finishing and the last row being stored, the worker's NATS->commit lag histogram,
# CPU seconds and peak RSS per process, and the ceiling / ratio.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
# shellcheck source=../../scripts/local_stack.sh
. scripts/local_stack.sh

command_line="bash bench/e2e/run.sh $*"
split=0 events=200000 batch=100 connections=8 rate=0 keep=0 preload=0 analytics_clients=0
while [ $# -gt 0 ]; do
  case "$1" in
    --split) split=1; shift ;;
    --events) events="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --preload) preload="$2"; shift 2 ;;
    --analytics-clients) analytics_clients="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) stack_die "unknown argument '$1' (see --help)" ;;
  esac
done

bin="${EVENTHUB_BINARY:-$root/build/eventhub}"
if [ ! -x "$bin" ]; then
  echo "building $bin (Release)"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j2 --target eventhub
fi

work="$(mktemp -d /var/tmp/eventhub-e2e.XXXXXX)"
chmod 755 "$work"
mkdir -p "$work/logs"
declare -A role_pid=()

sampler_pid=
cleanup() {
  local name
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  [ -n "${wrk_pid:-}" ] && kill "$wrk_pid" 2>/dev/null
  for name in "${!role_pid[@]}"; do stop_pid "${role_pid[$name]}" eventhub TERM 40; done
  [ -f "$work/nats.pid" ] && stop_pid "$(cat "$work/nats.pid")" nats-server TERM 20
  stop_pg "$work" 2>/dev/null || true
  if [ "$keep" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

now_s() { date +%s.%N; }
clk_tck="$(getconf CLK_TCK)"
# CPU seconds of a process (user+system), plus its reaped children when $2 = children.
cpu_of() {
  local pid="$1" with_children="${2:-}"
  awk -v t="$clk_tck" -v c="$with_children" '{ sub(/^.*\) /, ""); s = $12 + $13; if (c == "children") s += $14 + $15; printf "%.2f\n", s / t }' "/proc/$pid/stat" 2>/dev/null || echo 0
}
# Busy CPU seconds of the whole machine so far (everything but idle and iowait), from /proc/stat.
machine_busy() { awk -v t="$clk_tck" '/^cpu / { printf "%.2f\n", ($2 + $3 + $4 + $7 + $8) / t }' /proc/stat; }
hwm_mb_of() { awk '/^VmHWM:/ { printf "%.0f\n", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# PostgreSQL: postmaster (with its reaped backends) + live children.
pg_cpu() {
  local pm="$1" child files=("/proc/$1/stat")
  for child in $(ps -o pid= --ppid "$pm"); do files+=("/proc/$child/stat"); done
  awk -v t="$clk_tck" -v pm="$pm" '{ pid = $1; sub(/^.*\) /, ""); s += $12 + $13; if (pid == pm) s += $14 + $15 }
    END { printf "%.2f\n", s / t }' "${files[@]}" 2>/dev/null
}
pg_hwm_mb() {
  local pm="$1" max child v
  max="$(hwm_mb_of "$pm")"
  for child in $(ps -o pid= --ppid "$pm"); do v="$(hwm_mb_of "$child")"; [ "$v" -gt "$max" ] && max="$v"; done
  echo "$max"
}

echo "==> services (work dir $work)"
nats_port="$(pick_port "")"
nats_mon="$(pick_port "")"
pg_port="$(pick_port "")"
start_nats "$work" "$nats_port" "$nats_mon"
start_pg "$work" "$pg_port" "$work/logs/postgres.log"
psql_q "$pg_port" postgres "create database eventhub" >/dev/null
pm_pid="$(pg_pid "$work")"
nats_url="nats://127.0.0.1:$nats_port"
db_url="postgresql://postgres@127.0.0.1:$pg_port/eventhub"
if [ "$preload" -gt 0 ]; then
  echo "==> preloading $preload generated events (stored and folded before the roles start)"
  "$bin" migrate --database-url "$db_url" >/dev/null
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d eventhub \
    -v rows="$preload" -v span_days=30 -v seed=0.42 -v offset=0 -f bench/analytics/generate.sql
  "$bin" migrate --database-url "$db_url" --progress none
  psql_q "$pg_port" eventhub "vacuum analyze" >/dev/null
fi
preloaded="$(psql_q "$pg_port" eventhub "select count(*) from events" 2>/dev/null || echo 0)"

start_role() {  # name port args...
  local name="$1" port="$2"
  shift 2
  nohup setsid "$bin" "$@" </dev/null >>"$work/logs/$name.log" 2>&1 &
  role_pid[$name]=$!
  if ! wait_http "http://127.0.0.1:$port/health/readiness" 60 "${role_pid[$name]}" "$bin"; then
    tail -n 30 "$work/logs/$name.log" >&2
    stack_die "$name did not become ready on port $port"
  fi
}

ingest_port="$(pick_port "")"
analytics_port="$(pick_port "")"
worker_ports=()
if [ "$split" = 1 ]; then
  mode="split: serve-ingest + 2x run-worker + serve-analytics"
  start_role ingest "$ingest_port" serve-ingest --port "$ingest_port" --nats-url "$nats_url"
  for w in 1 2; do
    p="$(pick_port "")"
    worker_ports+=("$p")
    start_role "worker$w" "$p" run-worker --port "$p" --nats-url "$nats_url" --database-url "$db_url"
  done
  start_role analytics "$analytics_port" serve-analytics --port "$analytics_port" --database-url "$db_url"
else
  mode="all: one eventhub process"
  worker_port="$(pick_port "")"
  worker_ports+=("$worker_port")
  start_role all "$ingest_port" all --ingest-port "$ingest_port" --worker-port "$worker_port" \
    --analytics-port "$analytics_port" --nats-url "$nats_url" --database-url "$db_url"
fi
echo "mode: $mode"

declare -A cpu0=()
for name in "${!role_pid[@]}"; do cpu0[$name]="$(cpu_of "${role_pid[$name]}")"; done
nats_cpu0="$(cpu_of "$(cat "$work/nats.pid")")"
pg_cpu0="$(pg_cpu "$pm_pid")"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
busy0="$(machine_busy)"

# Row count every 0.25 s while publishing and draining: shows whether the worker keeps up.
sampler() {
  while :; do
    printf '%s %s\n' "$(now_s)" "$(psql_q "$pg_port" eventhub "select count(*) from events" 2>/dev/null || echo -1)"
    sleep 0.25
  done
}
sampler >"$work/rows.txt" &
sampler_pid=$!

wrk_pid=
if [ "$analytics_clients" -gt 0 ]; then
  command -v wrk >/dev/null || stack_die "--analytics-clients needs wrk (apt-get install wrk)"
  threads=$(( analytics_clients < 2 ? analytics_clients : 2 ))
  wrk -t"$threads" -c"$analytics_clients" -d3600s --timeout 30s -s bench/e2e/analytics_mix.lua \
    "http://127.0.0.1:$analytics_port" >"$work/wrk.txt" 2>&1 &
  wrk_pid=$!
fi
echo "==> publishing $events events (batch $batch, $connections connections, rate ${rate:-0})"
seed="$(date +%s)"
publish_cmd=("$bin" publish --url "http://127.0.0.1:$ingest_port/webhook/event" --count "$events" --batch "$batch"
  --connections "$connections" --rate "$rate" --seed "$seed" --progress plain)
# Runs the publisher as a child of python so its CPU time and peak RSS come from getrusage.
publish_usage="$(python3 - "$work/publish.json" "${publish_cmd[@]}" <<'PY'
import resource, subprocess, sys
with open(sys.argv[1], "w") as out:
    rc = subprocess.run(sys.argv[2:], stdout=out).returncode
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{r.ru_utime + r.ru_stime:.2f} {r.ru_maxrss / 1024:.0f} {rc}")
PY
)"
read -r publish_cpu publish_hwm publish_rc <<<"$publish_usage"
analytics_report=""
if [ -n "${wrk_pid:-}" ]; then
  kill -INT "$wrk_pid" 2>/dev/null || true  # wrk reports what it measured when interrupted
  wait "$wrk_pid" 2>/dev/null || true
  wrk_pid=
  read -r _ a_n a_s a_p50 a_p99 a_non2xx a_sock <<<"$(grep '^RESULT' "$work/wrk.txt" || echo RESULT 0 1 0 0 0 0)"
  analytics_report="$(python3 -c "print(f'analytics under load ($analytics_clients wrk connections, every endpoint in turn, during the publish): {$a_n / $a_s:.0f} requests/s, p50 $a_p50 ms, p99 $a_p99 ms, {$a_n} requests, non-2xx $a_non2xx, socket errors $a_sock')")"
  echo "$analytics_report"
fi
summary="$(tail -n 1 "$work/publish.json")"
echo "$summary"
[ "$publish_rc" = 0 ] || echo "warning: publish exited $publish_rc"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$summary" "$1"; }
expected="$(field uniqueAccepted)"
start_ms="$(field startUnixMs)"
end_ms="$(field endUnixMs)"

echo "==> waiting for $expected rows in PostgreSQL"
deadline=$(($(date +%s) + 600))
while :; do
  stored="$(( $(psql_q "$pg_port" eventhub "select count(*) from events" 2>/dev/null || echo "$preloaded") - preloaded ))"
  if [ "$stored" -ge "$expected" ]; then last_row_s="$(now_s)"; break; fi
  if [ "$(date +%s)" -ge "$deadline" ]; then stack_die "only $stored of $expected rows after 600 s"; fi
  sleep 0.1
done
busy1="$(machine_busy)"
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=
dup_rows="$(psql_q "$pg_port" eventhub "select count(*) - count(distinct event_id) from events")"

declare -A cpu_used=() hwm=()
for name in "${!role_pid[@]}"; do
  cpu_used[$name]="$(python3 -c "print(f'{$(cpu_of "${role_pid[$name]}") - ${cpu0[$name]}:.2f}')")"
  hwm[$name]="$(hwm_mb_of "${role_pid[$name]}")"
done
nats_cpu="$(python3 -c "print(f'{$(cpu_of "$(cat "$work/nats.pid")") - $nats_cpu0:.2f}')")"
nats_hwm="$(hwm_mb_of "$(cat "$work/nats.pid")")"
pg_cpu_used="$(python3 -c "print(f'{$(pg_cpu "$pm_pid") - $pg_cpu0:.2f}')")"
pg_hwm="$(pg_hwm_mb "$pm_pid")"

# Rollups (when the binary keeps them): the workers' compactors fold after the rows are stored; how
# long until every stored event is folded, and the CPU it took from the last row on.
rollup_report="rollups: none (this binary keeps no rollup tables)"
if [ "$(psql_q "$pg_port" eventhub "select to_regclass('rollup_state') is not null")" = "t" ]; then
  unfolded_sql="select count(*) from events e, rollup_state s where e.tx >= s.folded_below or (e.tx is null and s.backfill_next is not null)"
  while [ "$(psql_q "$pg_port" eventhub "$unfolded_sql")" != "0" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then stack_die "rollups not caught up after 600 s"; fi
    sleep 0.1
  done
  folded_s="$(now_s)"
  fold_eventhub_cpu=0
  for name in "${!role_pid[@]}"; do
    fold_eventhub_cpu="$(python3 -c "print(f'{$fold_eventhub_cpu + $(cpu_of "${role_pid[$name]}") - ${cpu0[$name]} - ${cpu_used[$name]}:.2f}')")"
  done
  fold_pg_cpu="$(python3 -c "print(f'{$(pg_cpu "$pm_pid") - $pg_cpu0 - $pg_cpu_used:.2f}')")"
  rollup_report="$(python3 -c "print(f'rollups: every stored event folded {$folded_s - $last_row_s:.2f} s after the last row; CPU in that time: eventhub {$fold_eventhub_cpu} s, PostgreSQL {$fold_pg_cpu} s')")"
fi
echo "$rollup_report"

# Worker's own NATS publish -> commit lag histogram (if the worker exports it).
lag_hist=""
for p in "${worker_ports[@]}"; do lag_hist+="$(curl -fsS --max-time 5 "http://127.0.0.1:$p/metrics" 2>/dev/null | grep '^eventhub_worker_end_to_end_lag_seconds' || true)"$'\n'; done

echo "==> PostgreSQL ceiling: INSERT ... SELECT of the same $stored rows (new ids) into an indexed copy"
psql_q "$pg_port" eventhub "drop table if exists events_ceiling; create table events_ceiling (like events including all)" >/dev/null
psql_q "$pg_port" eventhub "checkpoint" >/dev/null
c0="$(now_s)"
psql_q "$pg_port" eventhub "insert into events_ceiling (event_id, source, funnel_stage, event_type, event_time, user_id, country, campaign_id, purchase_amount, data, extra)
  select 'ceiling-' || event_id, source, funnel_stage, event_type, event_time, user_id, country, campaign_id, purchase_amount, data, extra
  from events on conflict (event_id) do nothing" >/dev/null
c1="$(now_s)"
ceiling_rows="$(psql_q "$pg_port" eventhub "select count(*) from events_ceiling")"
ceiling_indexes="$(psql_q "$pg_port" eventhub "select count(*) from pg_indexes where tablename = 'events_ceiling'")"

report="$(python3 - <<PY
import re
import json
summary = json.loads('''$summary''')
start = $start_ms / 1000.0
end = $end_ms / 1000.0
last_row = $last_row_s
stored = $stored
e2e = stored / (last_row - start) if last_row > start else 0
ceiling = $ceiling_rows / ($c1 - $c0)
lines = []
add = lines.append
add(f"ingest events/s (accepted / publish time): {summary['eventsPerSecond']:.0f}   ({summary['accepted']} accepted in {summary['seconds']:.2f} s)")
add(f"end-to-end events/s (first send -> last row): {e2e:.0f}   ({stored} rows in {last_row - start:.2f} s)")
add(f"request latency: p50 {summary['p50Ms']:.1f} ms, p99 {summary['p99Ms']:.1f} ms, max {summary['maxMs']:.1f} ms ({summary['requests']} requests, {summary['retries']} retries)")
add(f"lag: last row stored {max(0.0, last_row - end):.2f} s after the publisher's last answer")
samples = []
for line in open("$work/rows.txt"):
    t, n = line.split()
    if int(n) >= 0: samples.append((float(t), int(n) - $preloaded))
at_end = max([n for t, n in samples if t <= end] or [0])
during = at_end / (end - start) if end > start else 0
after = (stored - at_end) / (last_row - end) if last_row > end else 0
add(f"rows stored while publishing: {at_end} of {stored} ({100.0 * at_end / stored if stored else 0:.0f}%); "
    f"store rate {during:.0f} rows/s while publishing, {after:.0f} rows/s after")
hist = """$lag_hist"""
buckets = {}
count = 0.0
for m in re.finditer(r'eventhub_worker_end_to_end_lag_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} ([0-9.e+-]+)', hist):
    le = float('inf') if m.group(1) == '+Inf' else float(m.group(1))
    buckets[le] = buckets.get(le, 0) + float(m.group(2))
if buckets:
    total = buckets[max(buckets)]
    def q(p):
        for le in sorted(buckets):
            if buckets[le] >= p * total: return le
    add(f"worker NATS->commit lag (histogram bucket upper bounds): p50 <= {q(0.5)} s, p99 <= {q(0.99)} s over {total:.0f} messages")
else:
    add("worker NATS->commit lag: no eventhub_worker_end_to_end_lag_seconds histogram exported")
add(f"PostgreSQL ceiling (one INSERT ... SELECT, {$ceiling_indexes} indexes): {ceiling:.0f} rows/s   ({$ceiling_rows} rows in {$c1 - $c0:.2f} s)")
add(f"ratio end-to-end / ceiling: {e2e / ceiling if ceiling else 0:.2f}")
add(f"goals: end-to-end >= 25000/s: {'MET' if e2e >= 25000 else 'NOT MET'}; ratio >= 0.5: {'MET' if ceiling and e2e / ceiling >= 0.5 else 'NOT MET'}")
add("""$rollup_report""")
if """$analytics_report""": add("""$analytics_report""")
add(f"correctness: rows {stored}, expected distinct accepted {summary['uniqueAccepted']}, duplicate event_ids in table: $dup_rows, failed {summary['failed']}")
print("\n".join(lines))
PY
)"
procs="process              CPU s   peak RSS MB"$'\n'
procs+="$(printf '%-20s %6s   %6s' "publish" "$publish_cpu" "$publish_hwm")"$'\n'
for name in $(printf '%s\n' "${!role_pid[@]}" | sort); do
  procs+="$(printf '%-20s %6s   %6s' "eventhub $name" "${cpu_used[$name]}" "${hwm[$name]}")"$'\n'
done
procs+="$(printf '%-20s %6s   %6s' "nats-server" "$nats_cpu" "$nats_hwm")"$'\n'
procs+="$(printf '%-20s %6s   %6s' "postgres (all procs)" "$pg_cpu_used" "$pg_hwm")"$'\n'
ours="$(python3 -c "print(f'{$publish_cpu + $nats_cpu + $pg_cpu_used + $(IFS=+; echo "${cpu_used[*]}"):.1f}')")"
procs+="(CPU from first send to last row. The machine had $(nproc) cores = $(python3 -c "print(f'{$(nproc) * ($last_row_s - $start_ms / 1000.0):.1f}')") core-seconds in that time;
 busy ≈ $(python3 -c "print(f'{$busy1 - $busy0:.1f}')") core-seconds, of which these processes $ours: the rest is other work on the machine. Load average before: $load_before)"

machine="$(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -n "$(git status --porcelain -- src include sql CMakeLists.txt 2>/dev/null)" ] && commit+=" + uncommitted changes in src/include/sql"
text="=== eventhub e2e benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $commit
command: $command_line
binary:  $bin ($("$bin" --version 2>&1 | head -n 1), built $(date -u -r "$bin" +%Y-%m-%dT%H:%M:%SZ))
machine: $machine; $(uname -sr); PostgreSQL $("$(pg_bindir)/postgres" --version | awk '{print $3}'), $(nats-server --version)
setup:   $mode; role settings from the environment: $(env | grep -E '^(NATS_|DB_|INGEST_|WORKER_|HTTP_)' | sort | tr '\n' ' ' | sed 's/ $//' | grep . || echo none)
         events $events, batch $batch, connections $connections, rate $rate (0 = max); preloaded rows $preloaded; PostgreSQL fsync on, synchronous_commit on, shared_buffers 256MB
$report
$procs
"
echo
echo "$text"
mkdir -p bench/results
echo "$text" >>"bench/results/e2e-$(date -u +%Y-%m-%d).txt"
echo "appended to bench/results/e2e-$(date -u +%Y-%m-%d).txt"
