#!/usr/bin/env bash
# Ingest benchmark: nats-server (temp store, free port) + `eventhub serve-ingest` + wrk.
# Scenarios: batches of 100 events per request, and single-event requests. Prints events/s,
# req/s, latency p50/p99 and the ingest process' peak RSS; writes everything (commands included)
# to bench/results/ingest-<date>.txt.
#
# Usage: bench/ingest/run.sh [build-dir]     (default: build)
# Env:   DURATION (s, default 10), BATCH_CONNECTIONS (default 8), SINGLE_CONNECTIONS (default 32),
#        WRK_THREADS (default 1),
#        HTTP_THREADS (ingest --http-threads, default 1), SCENARIOS ("batch single")
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$ROOT/build}"
BIN="$BUILD/eventhub"
DURATION="${DURATION:-10}"
BATCH_CONNECTIONS="${BATCH_CONNECTIONS:-8}"
SINGLE_CONNECTIONS="${SINGLE_CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-1}"
HTTP_THREADS="${HTTP_THREADS:-1}"
SCENARIOS="${SCENARIOS:-batch single}"
[[ -x "$BIN" ]] || { echo "no binary at $BIN (build it first or pass the build dir)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)" >&2; exit 2; }
command -v nats-server >/dev/null || { echo "nats-server not installed" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

WORK="$(mktemp -d /tmp/eventhub-bench-ingest.XXXXXX)"
NATS_PID=""; INGEST_PID=""
cleanup() {
  [[ -n "$INGEST_PID" ]] && kill "$INGEST_PID" 2>/dev/null && wait "$INGEST_PID" 2>/dev/null || true
  [[ -n "$NATS_PID" ]] && kill "$NATS_PID" 2>/dev/null && wait "$NATS_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/ingest-$(date -u +%Y%m%d-%H%M%S).txt"

log() { echo "$@" | tee -a "$OUT"; }

wait_http() {  # port path
  for _ in $(seq 1 200); do
    curl -fsS "http://127.0.0.1:$1$2" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "timeout waiting for :$1$2" >&2; return 1
}

run_scenario() {  # name batch connections
  local name="$1" batch="$2" connections="$3"
  # fresh broker and ingest per scenario, so the stream and RSS start from zero
  local nats_port mon_port port
  nats_port=$(free_port); mon_port=$(free_port); port=$(free_port)
  rm -rf "$WORK/store"; mkdir -p "$WORK/store"
  nats-server -js -a 127.0.0.1 -p "$nats_port" -m "$mon_port" -sd "$WORK/store" >"$WORK/nats-$name.log" 2>&1 &
  NATS_PID=$!
  wait_http "$mon_port" /healthz
  local cmd=("$BIN" serve-ingest --host 127.0.0.1 --port "$port" --nats-url "nats://127.0.0.1:$nats_port"
             --http-threads "$HTTP_THREADS" --log-level warn)
  "${cmd[@]}" >"$WORK/ingest-$name.log" 2>&1 &
  INGEST_PID=$!
  wait_http "$port" /health/readiness

  local wrk_cmd=(wrk -t "$WRK_THREADS" -c "$connections" -d "${DURATION}s" --latency -s "$ROOT/bench/ingest/post_events.lua"
                 "http://127.0.0.1:$port/webhook/event")
  log ""
  log "## scenario: $name (batch=$batch, $connections connections)"
  log "ingest: ${cmd[*]}"
  log "load:   BATCH=$batch ${wrk_cmd[*]}"
  local wrk_out cpu_i0 cpu_n0 cpu_i1 cpu_n1
  cpu_i0=$(awk '{print $14+$15}' "/proc/$INGEST_PID/stat"); cpu_n0=$(awk '{print $14+$15}' "/proc/$NATS_PID/stat")
  wrk_out=$(BATCH="$batch" RUN_ID="$name-$$" "${wrk_cmd[@]}" 2>&1)
  echo "$wrk_out" >>"$OUT"
  cpu_i1=$(awk '{print $14+$15}' "/proc/$INGEST_PID/stat"); cpu_n1=$(awk '{print $14+$15}' "/proc/$NATS_PID/stat")
  local line requests duration p50 p99 non2xx
  line=$(grep '^BENCH ' <<<"$wrk_out")
  requests=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")
  duration=$(sed -E 's/.*duration_s=([0-9.]+).*/\1/' <<<"$line")
  p50=$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$line")
  p99=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$line")
  non2xx=$(sed -E 's/.*non2xx=([0-9]+).*/\1/' <<<"$line")
  local rss_kb stream_msgs
  rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$INGEST_PID/status")
  stream_msgs=$(curl -fsS "http://127.0.0.1:$mon_port/jsz?streams=1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(s["state"]["messages"] for a in d.get("account_details",[]) for s in a.get("stream_detail",[]) if s["name"]=="EVENTS"))')
  local ok=$((requests - non2xx))
  log "$(python3 - "$ok" "$requests" "$duration" "$batch" "$p50" "$p99" "$rss_kb" "$stream_msgs" "$non2xx" "$((cpu_i1 - cpu_i0))" "$((cpu_n1 - cpu_n0))" "$(getconf CLK_TCK)" <<'PY'
import sys
ok, req, dur, batch, p50, p99, rss, stored, non2xx, ci, cn, hz = sys.argv[1:]
ok, req, dur, batch, rss, stored, non2xx = int(ok), int(req), float(dur), int(batch), int(rss), int(stored), int(non2xx)
ev = max(ok * batch, 1)
ci, cn = int(ci) / int(hz), int(cn) / int(hz)
print(f"RESULT req/s={req/dur:,.0f} events/s(2xx)={ok*batch/dur:,.0f} p50={p50}ms p99={p99}ms "
      f"peak_rss={rss/1024:.1f}MiB non2xx={non2xx} stored_in_stream={stored} (expected >= {ok*batch}) "
      f"cpu: ingest={ci/dur*100:.0f}% ({ci/ev*1e6:.1f}us/event) nats-server={cn/dur*100:.0f}% ({cn/ev*1e6:.1f}us/event)")
PY
)"
  kill "$INGEST_PID"; wait "$INGEST_PID" 2>/dev/null || true; INGEST_PID=""
  kill "$NATS_PID"; wait "$NATS_PID" 2>/dev/null || true; NATS_PID=""
}

log "# eventhub ingest benchmark $(date -u +%FT%TZ)"
log "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
log "binary: $BIN ($("$BIN" --version 2>/dev/null | head -1)); nats-server $(nats-server --version | awk '{print $2}'); wrk ${DURATION}s, ${WRK_THREADS} thread(s)"
for s in $SCENARIOS; do
  case "$s" in
    batch) run_scenario batch 100 "$BATCH_CONNECTIONS" ;;
    single) run_scenario single 1 "$SINGLE_CONNECTIONS" ;;
    *) echo "unknown scenario $s" >&2; exit 2 ;;
  esac
done
log ""
log "written to $OUT"
