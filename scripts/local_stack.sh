# Shell helpers to run nats-server, PostgreSQL and eventhub on loopback, sourced by
# scripts/run_local.sh, scripts/stop_local.sh and bench/e2e/run.sh. Everything started here is
# tracked by a PID file and stopped by that PID only (never by name).
# shellcheck shell=bash

stack_log() { printf '%s\n' "$*" >&2; }
stack_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# True when nothing listens on 127.0.0.1:$1 and we could bind it.
port_free() {
  python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

# Prints $1 when it is free, else a port the kernel hands out. Ports already printed by this shell
# are not handed out twice (they are not bound yet when the next one is picked).
STACK_PICKED_PORTS=" "
pick_port() {
  local want="$1" p
  if [ -n "$want" ] && [[ "$STACK_PICKED_PORTS" != *" $want "* ]] && port_free "$want"; then
    p="$want"
  else
    while :; do
      p="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
      [[ "$STACK_PICKED_PORTS" != *" $p "* ]] && break
    done
  fi
  STACK_PICKED_PORTS+="$p "
  printf '%s\n' "$p"
}

pg_bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -x "$d/initdb" ] || stack_die "PostgreSQL server binaries not found under /usr/lib/postgresql (run scripts/install_deps.sh)"
  printf '%s\n' "$d"
}

# Runs a command as the postgres user when we are root (postgres refuses to run as root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# True while $1 is the PID of a running process whose command line contains $2.
pid_alive() {
  local pid="$1" name="$2"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"
}

pid_from_file() { [ -s "$1" ] && head -n 1 "$1" | tr -dc '0-9'; }

# stop_pid PID NAME SIGNAL TIMEOUT_S: signal, wait, then SIGKILL. Only if the PID still runs NAME.
stop_pid() {
  local pid="$1" name="$2" sig="$3" timeout="$4" i
  pid_alive "$pid" "$name" || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    pid_alive "$pid" "$name" || return 0
    sleep 0.1
  done
  stack_log "  $name (pid $pid) still running after ${timeout}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do pid_alive "$pid" "$name" || return 0; sleep 0.1; done
}

# wait_http URL TIMEOUT_S [PID NAME]: polls until URL answers 2xx; fails early if PID dies.
wait_http() {
  local url="$1" timeout="$2" pid="${3:-}" name="${4:-}" i
  for ((i = 0; i < timeout * 10; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    if [ -n "$pid" ] && ! pid_alive "$pid" "$name"; then return 1; fi
    sleep 0.1
  done
  return 1
}

# start_nats DIR PORT MONITOR_PORT: JetStream store DIR/nats, log DIR/logs/nats.log, PID DIR/nats.pid.
start_nats() {
  local dir="$1" port="$2" mon="$3" pid
  mkdir -p "$dir/nats" "$dir/logs"
  nohup setsid nats-server -js -sd "$dir/nats" -a 127.0.0.1 -p "$port" -m "$mon" -l "$dir/logs/nats.log" \
    </dev/null >>"$dir/logs/nats.stdout" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/nats.pid"
  if ! wait_http "http://127.0.0.1:$mon/healthz?js-enabled-only=true" 30 "$pid" nats-server; then
    tail -n 20 "$dir/logs/nats.log" >&2 2>/dev/null || true
    stack_die "nats-server did not become ready on 127.0.0.1:$port"
  fi
}

# pg_base_for BASE: BASE/pg (data) and BASE/pgsock must be usable by the postgres user; prints BASE.
# A repo under a home directory closed to others (/root) cannot hold them: use /var/tmp then.
pg_base_for() {
  local want="$1" alt
  mkdir -p "$want"
  if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$want" 2>/dev/null; then
    printf '%s\n' "$want"
    return
  fi
  alt="/var/tmp/eventhub-pg-$(printf '%s' "$want" | md5sum | cut -c1-12)"
  mkdir -p "$alt"
  stack_log "  $want is not reachable by the postgres user; its cluster lives in $alt"
  printf '%s\n' "$alt"
}

# start_pg BASE PORT LOGFILE [extra -c settings...]: initdb BASE/pg when empty, start, wait.
start_pg() {
  local base="$1" port="$2" logfile="$3" bin
  shift 3
  bin="$(pg_bindir)"
  mkdir -p "$base/pgsock" "$(dirname "$logfile")"
  if [ ! -s "$base/pg/PG_VERSION" ]; then
    mkdir -p "$base/pg"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$base/pg" "$base/pgsock"
    (cd / && as_pg env -u PGDATA -u PGHOST -u PGPORT LC_ALL=C "$bin/initdb" -D "$base/pg" -U postgres \
      --auth=trust -E UTF8 --no-locale --no-instructions >"$base/initdb.log" 2>&1) ||
      { cat "$base/initdb.log" >&2; stack_die "initdb failed"; }
  fi
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$base/pgsock"
  touch "$logfile"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$logfile"
  local settings=(-c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB
    -c timezone=UTC -c log_timezone=UTC)
  local s
  for s in "$@"; do settings+=(-c "$s"); done
  local cmd=("$bin/postgres" -D "$base/pg" -k "$base/pgsock" -p "$port" "${settings[@]}")
  [ "$(id -u)" -eq 0 ] && cmd=(runuser -u postgres -- "${cmd[@]}")
  # Its PID is the first line of postmaster.pid (runuser stays as its parent when we are root).
  (cd / && exec nohup setsid "${cmd[@]}" </dev/null >>"$logfile" 2>&1) &
  local i
  for ((i = 0; i < 600; i++)); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres 2>/dev/null; then break; fi
    sleep 0.1
  done
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres || { tail -n 20 "$logfile" >&2; stack_die "PostgreSQL did not start on port $port"; }
}

# The postmaster's PID (first line of postmaster.pid), as written by PostgreSQL itself.
pg_pid() { pid_from_file "$1/pg/postmaster.pid"; }

# psql_q PORT DB SQL: one value or rows, unaligned, no headers.
psql_q() {
  "$(pg_bindir)/psql" -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d "$2" -c "$3"
}

# stop_pg BASE: fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL.
stop_pg() {
  local base="$1" pid i
  pid="$(pg_pid "$base")"
  pid_alive "$pid" postgres || return 0
  kill -INT "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do pid_alive "$pid" postgres || return 0; sleep 0.1; done
  stack_log "  postgres (pid $pid) not down after 30s: immediate shutdown"
  stop_pid "$pid" postgres QUIT 10
}
