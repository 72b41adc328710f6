#!/usr/bin/env bash
# Analytics latency benchmark: a throwaway PostgreSQL (initdb in a temp dir, free loopback port), N
# generated events (server-side INSERT ... SELECT generate_series, see generate.sql), folded into the
# rollups by `eventhub migrate` (timed), then per endpoint `wrk` (1 connection, fixed duration) for
# p50/p95/p99 over the default window and over an unaligned one (from = now - 6 d 5 h 17 min 23.417 s),
# with the new binary and, when EVENTHUB_OLD is set, an older one on the same data in the same run;
# the table sizes; and the EXPLAIN ANALYZE plan of every statement the server ran (auto_explain, in a
# separate pass so logging does not distort the timings). Output: bench/results/analytics-<date>.txt
#
#   bench/analytics/run.sh [ROWS ...]          e.g. bench/analytics/run.sh 100000 10000000 30000000
#   env: EVENTHUB (binary, default build/eventhub), EVENTHUB_OLD (a binary to compare, e.g. one built
#        from an older commit; its rows are skipped above OLD_MAX_ROWS, default 10000000),
#        DURATION (per endpoint, default 10s), SPAN_DAYS (events spread over the last N days, default 30),
#        WINDOW_H (--default-window-h, 168), QUERY_THREADS (4), KEEP=1 (keep the temp dir), PLANS=0 (skip
#        the plans), BASELINE=1 (replace sql/002's index by 001's plain event_time index, for comparison)
# Needs: PostgreSQL 15 binaries (initdb, pg_ctl, psql), wrk, root (initdb runs as user postgres).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
EVENTHUB=${EVENTHUB:-$repo/build/eventhub}
DURATION=${DURATION:-10s}
SPAN_DAYS=${SPAN_DAYS:-30}
WINDOW_H=${WINDOW_H:-168}
QUERY_THREADS=${QUERY_THREADS:-4}
ROWS_LIST=("${@:-1000000}")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

[[ -x $EVENTHUB ]] || { echo "no eventhub binary at $EVENTHUB (build it or set EVENTHUB)" >&2; exit 1; }
EVENTHUB_OLD=${EVENTHUB_OLD:-}
OLD_MAX_ROWS=${OLD_MAX_ROWS:-10000000}
[[ -z $EVENTHUB_OLD || -x $EVENTHUB_OLD ]] || { echo "EVENTHUB_OLD=$EVENTHUB_OLD is not executable" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }

mkdir -p "$repo/bench/results"
out="$repo/bench/results/analytics-$(date -u +%Y%m%d-%H%M%S).txt"
tmp=$(mktemp -d /tmp/eventhub-bench-analytics.XXXXXX)
chmod 755 "$tmp"
analytics_pid=""

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
  if [[ -n $analytics_pid ]]; then kill "$analytics_pid" 2>/dev/null || true; wait "$analytics_pid" 2>/dev/null || true; fi
  as_pg "$PGBIN/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  if [[ ${KEEP:-0} != 1 ]]; then rm -rf "$tmp"; else echo "kept $tmp" >&2; fi
}
trap cleanup EXIT

log() { echo "$*" | tee -a "$out" >&2; }

pg_port=$(free_port)
chown postgres "$tmp" 2>/dev/null || true
as_pg "$PGBIN/initdb" -D "$tmp/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
# Defaults except: fsync off (only speeds up loading; reads are unaffected), auto_explain available.
as_pg "$PGBIN/pg_ctl" -D "$tmp/data" -l "$tmp/pg.log" -w start \
  -o "-p $pg_port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c shared_preload_libraries=auto_explain" >/dev/null
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres "$@"; }
psql_ -d postgres -c "CREATE DATABASE bench"
url="postgresql://postgres@127.0.0.1:$pg_port/bench"
"$EVENTHUB" migrate --database-url "$url" >/dev/null
if [[ ${BASELINE:-0} == 1 ]]; then
  # Without sql/002: the plain event_time index of 001 only, for comparison.
  psql_ -d bench -c "DROP INDEX IF EXISTS events_window_idx" -c "CREATE INDEX IF NOT EXISTS events_event_time_idx ON events (event_time)"
fi

{
  echo "# eventhub analytics benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# command: BASELINE=${BASELINE:-0} EVENTHUB_OLD=${EVENTHUB_OLD:-} bench/analytics/run.sh ${ROWS_LIST[*]}  (DURATION=$DURATION SPAN_DAYS=$SPAN_DAYS WINDOW_H=$WINDOW_H QUERY_THREADS=$QUERY_THREADS)"
  echo "# new: $EVENTHUB ($("$EVENTHUB" --version 2>&1)); old: ${EVENTHUB_OLD:-none}${EVENTHUB_OLD:+ ($("$EVENTHUB_OLD" --version 2>&1))}"
  echo "# commit: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown); host: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(psql_ -d bench -Atc 'SELECT version()')"
  echo "# server: PostgreSQL defaults (shared_buffers 128MB, work_mem 4MB) except fsync=off; analytics sessions: jit=off"
  echo "# indexes: $(psql_ -d bench -Atc "SELECT string_agg(indexname, ', ' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'events'")"
  echo "# wrk: 1 thread, 1 connection, $DURATION per endpoint (60 s request timeout), default window (${WINDOW_H} h back from now), data spread over the last $SPAN_DAYS days"
} | tee -a "$out" >&2

start_analytics() {
  local port=$1 binary=${2:-$EVENTHUB}
  "$binary" serve-analytics --host 127.0.0.1 --port "$port" --database-url "$url" --default-window-h "$WINDOW_H" \
    --query-threads "$QUERY_THREADS" --db-pool-max "$QUERY_THREADS" --db-pool-min 1 --log-level warn --no-migrate \
    >>"$tmp/analytics.log" 2>&1 &
  analytics_pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/health/readiness" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "serve-analytics did not become ready:" >&2; tail -20 "$tmp/analytics.log" >&2; exit 1
}
stop_analytics() {
  local rc=0
  if kill "$analytics_pid" 2>/dev/null; then
    wait "$analytics_pid" || rc=$?
  else
    wait "$analytics_pid" || rc=$?
    log "serve-analytics had exited by itself (status $rc); its log:"
    tail -30 "$tmp/analytics.log" | tee -a "$out" >&2
  fi
  analytics_pid=""
}

# The default window (to = now, from = now - WINDOW_H), then the same endpoints over an unaligned one.
default_endpoints=(
  "stats /analytics/stats"
  "timeseries_hour /analytics/timeseries?granularity=hour"
  "timeseries_minute /analytics/timeseries?granularity=minute"
  "funnel /analytics/funnel"
  "countries /analytics/countries"
  "campaigns_top /analytics/campaigns/top?by=revenue"
  "users_top /analytics/users/top?by=events"
  "users_top_revenue /analytics/users/top?by=revenue"
  "revenue /analytics/revenue"
  "stats_filtered /analytics/stats?source=tiktok&funnelStage=bottom"
)
unaligned_from() {  # now - 6 d 5 h 17 min 23.417 s, as RFC 3339 (URL-safe: Z)
  python3 -c 'import datetime as d; t = d.datetime.now(d.timezone.utc) - d.timedelta(days=6, hours=5, minutes=17, seconds=23.417); print(t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")'
}

measure() {  # measure PORT LABEL ENTRIES...
  local port=$1 label=$2; shift 2
  local entry name target line n p50 p95 p99 errs bytes
  for entry in "$@"; do
    name=${entry%% *}; target=${entry#* }
    curl -fs "http://127.0.0.1:$port$target" >/dev/null || { log "$label $name: request failed: $(curl -s "http://127.0.0.1:$port$target" | head -c 300)"; continue; }
    bytes=$(curl -s "http://127.0.0.1:$port$target" | wc -c)
    line=$(wrk -t1 -c1 -d"$DURATION" --timeout 60s -s "$here/report.lua" "http://127.0.0.1:$port$target" | grep '^RESULT' || true)
    read -r _ n p50 p95 p99 errs <<<"$line"
    log "$(printf '%-4s %-28s %8s %9s %9s %9s %8s  %s' "$label" "$name" "$n" "$p50" "$p95" "$p99" "$errs" "$bytes")"
  done
}

loaded=0
for rows in "${ROWS_LIST[@]}"; do
  add=$((rows - loaded))
  log ""
  log "## $rows events"
  t0=$(date +%s)
  psql_ -d bench -v rows="$add" -v span_days="$SPAN_DAYS" -v seed=0.42 -v offset="$loaded" -f "$here/generate.sql"
  loaded_at=$(date +%s)
  # The load is one transaction: `eventhub migrate` folds it into the rollups (as a backfill).
  "$EVENTHUB" migrate --database-url "$url" --progress plain 2>&1 | tail -1 | tee -a "$out" >&2
  folded_at=$(date +%s)
  psql_ -d bench -c "VACUUM ANALYZE"
  loaded=$rows
  in_window=$(psql_ -d bench -Atc "SELECT count(*) FROM events WHERE event_time >= now() - interval '$WINDOW_H hours'")
  log "loaded in $(( loaded_at - t0 )) s, folded in $(( folded_at - loaded_at )) s ($(( add / (folded_at - loaded_at + 1) )) events/s); events in the default window: $in_window"
  log "sizes (table + indexes):"
  psql_ -d bench -Atc "SELECT format('  %-20s %10s + %10s  (%s rows)', relname, pg_size_pretty(pg_table_size(oid)), pg_size_pretty(pg_indexes_size(oid)), reltuples::bigint) FROM pg_class WHERE relname IN ('events', 'rollup_buckets', 'rollup_user_totals', 'rollup_user_ids') ORDER BY relname" | tee -a "$out" >&2

  from=$(unaligned_from)
  unaligned_endpoints=()
  for entry in "${default_endpoints[@]}"; do
    name=${entry%% *}; target=${entry#* }
    sep='?'; [[ $target == *\?* ]] && sep='&'
    unaligned_endpoints+=("${name}@unaligned $target${sep}from=$from")
  done
  log ""
  log "unaligned window: from=$from (to = now)"
  log "$(printf '%-4s %-28s %8s %9s %9s %9s %8s  %s' bin endpoint requests p50_ms p95_ms p99_ms errors bytes)"
  port=$(free_port)
  start_analytics "$port"
  measure "$port" new "${default_endpoints[@]}" "${unaligned_endpoints[@]}"
  stop_analytics
  if [[ -n $EVENTHUB_OLD && $rows -le $OLD_MAX_ROWS ]]; then
    start_analytics "$port" "$EVENTHUB_OLD"
    measure "$port" old "${default_endpoints[@]}" "${unaligned_endpoints[@]}"
    stop_analytics
  fi
  [[ ${PLANS:-1} == 1 ]] || continue

  # Plans: log every statement of one request per endpoint with EXPLAIN ANALYZE (new sessions only).
  psql_ -d bench -c "ALTER DATABASE bench SET auto_explain.log_min_duration = 0" \
        -c "ALTER DATABASE bench SET auto_explain.log_analyze = on" -c "ALTER DATABASE bench SET auto_explain.log_buffers = on"
  mark=$(wc -c < "$tmp/pg.log")
  start_analytics "$port"
  for entry in "${default_endpoints[@]}"; do curl -fs "http://127.0.0.1:$port${entry#* }" >/dev/null || true; done
  stop_analytics
  psql_ -d bench -c "ALTER DATABASE bench RESET ALL"
  log ""
  log "### plans at $rows events (auto_explain, one request per endpoint in the order above)"
  tail -c +"$((mark + 1))" "$tmp/pg.log" | awk '
    function flush() { if (keep && !skip) printf "%s", buf; buf = ""; keep = 0; skip = 0 }
    / LOG:  / { flush(); keep = ($0 ~ /plan:/); buf = $0 "\n"; next }
    keep { buf = buf $0 "\n"; if ($0 ~ /Query Text: (SET|BEGIN|COMMIT|ROLLBACK|SELECT 1|SELECT pg_advisory|SELECT version FROM schema_migrations)/) skip = 1 }
    END { flush() }' >>"$out"
done
echo "written: $out" >&2
