#!/usr/bin/env bash
# Installs the Debian packages of scripts/packages.txt that are missing, and nothing else.
# Idempotent: when everything is there it only says so (no apt-get update, no network).
#   bash scripts/install_deps.sh                   # every profile (build + run)
#   bash scripts/install_deps.sh --profile build   # only what compiling needs (Dockerfile build stage)
#   bash scripts/install_deps.sh --check           # list what is missing, exit 1 if anything is
# Runs as root (apt-get); as another user it uses sudo when available.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
list="$here/packages.txt"
profile=all
check_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="${2:?--profile needs build|run|all}"; shift 2 ;;
    --profile=*) profile="${1#--profile=}"; shift ;;
    --check) check_only=1; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install_deps.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
case "$profile" in build|run|all) ;; *) echo "install_deps.sh: --profile must be build, run or all" >&2; exit 2 ;; esac

wanted=()
while read -r name prof _; do
  case "$name" in ''|'#'*) continue ;; esac
  if [ "$profile" = all ] || [ "$prof" = "$profile" ]; then wanted+=("$name"); fi
done <"$list"

missing=()
for pkg in "${wanted[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#wanted[@]} packages present (profile $profile)"
  exit 0
fi
echo "install_deps: missing: ${missing[*]}"
[ "$check_only" = 1 ] && exit 1

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then as_root=(sudo); else
    echo "install_deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"

still=()
for pkg in "${missing[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" = "install ok installed" ] || still+=("$pkg")
done
if [ ${#still[@]} -gt 0 ]; then echo "install_deps: still missing after apt-get: ${still[*]}" >&2; exit 1; fi
echo "install_deps: installed ${missing[*]}"
