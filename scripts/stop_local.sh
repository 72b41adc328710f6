#!/usr/bin/env bash
# Stops what scripts/run_local.sh started, by its PID files only: eventhub (SIGTERM: drain), then
# nats-server (SIGTERM), then PostgreSQL (fast shutdown); SIGKILL when one does not stop in time.
# Data under .local/ is kept; delete .local/ for a fresh start.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=local_stack.sh
. scripts/local_stack.sh
local_dir="$root/.local"

if [ ! -f "$local_dir/stack.env" ] && [ ! -f "$local_dir/eventhub.pid" ] && [ ! -f "$local_dir/nats.pid" ]; then
  echo "nothing to stop (no .local/stack.env)"
  exit 0
fi
PG_BASE="$local_dir"
# shellcheck disable=SC1091
[ -f "$local_dir/stack.env" ] && . "$local_dir/stack.env"

stopped=()
pid="$(pid_from_file "$local_dir/eventhub.pid" || true)"
if pid_alive "$pid" eventhub; then
  stop_pid "$pid" eventhub TERM 40
  stopped+=("eventhub (pid $pid)")
fi
rm -f "$local_dir/eventhub.pid"

pid="$(pid_from_file "$local_dir/nats.pid" || true)"
if pid_alive "$pid" nats-server; then
  stop_pid "$pid" nats-server TERM 20
  stopped+=("nats-server (pid $pid)")
fi
rm -f "$local_dir/nats.pid"

pid="$(pg_pid "$PG_BASE" || true)"
if pid_alive "$pid" postgres; then
  stop_pg "$PG_BASE"
  stopped+=("postgres (pid $pid)")
fi
rm -f "$local_dir/stack.env"

if [ ${#stopped[@]} -eq 0 ]; then
  echo "nothing was running"
else
  printf 'stopped: %s\n' "${stopped[@]}"
fi
