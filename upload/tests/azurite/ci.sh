#!/usr/bin/env bash
# Runs COMMAND with Azurite 3.37.0 (Azure Blob) up, then stops Azurite,
# whatever happens.
#
#   upload/tests/azurite/ci.sh [COMMAND [ARG...]]
#
# With no COMMAND it runs the upload crate's Azurite tests:
#   CI=true cargo test -p zilliz-import-upload --all-features --test azurite --locked
# COMMAND gets the variables start.sh writes (ZI_AZURITE_URL,
# ZI_AZURITE_NODE, ZI_AZURITE_CONTAINER_JS). It nests with moto's ci.sh:
#   upload/tests/azurite/ci.sh upload/tests/moto/ci.sh cargo test ...
# Exit status: COMMAND's, or 1 when Azurite could not be set up or started.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd -P)"
home="$(mktemp -d "${TMPDIR:-/tmp}/zilliz-import-azurite.XXXXXX")"

# Azurite does not always exit on SIGTERM (it waits for open connections):
# KILL after a short grace, its data being a temporary folder anyway.
end() {
  kill "$1" 2>/dev/null || return 0
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -KILL "$1" 2>/dev/null || true
}

watchdog=""
stop() {
  [[ -n "$watchdog" ]] && kill "$watchdog" 2>/dev/null || true
  if [[ -f "$home/azurite.pid" ]]; then end "$(cat "$home/azurite.pid")"; fi
  rm -rf "$home"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$SECONDS
"$here/start.sh" "$home" >/dev/null

# Should this script be killed outright (no EXIT trap then), stop Azurite
# anyway once this script is gone.
parent=$$
pid="$(cat "$home/azurite.pid")"
(
  trap '' INT
  while kill -0 "$parent" 2>/dev/null; do sleep 2; done
  end "$pid"
  rm -rf "$home"
) </dev/null >/dev/null 2>&1 &
watchdog=$!

set -a
# shellcheck disable=SC1091
. "$home/azurite.env"
set +a
echo "ci.sh: azurite 3.37.0 on $ZI_AZURITE_URL (up in $(( SECONDS - started )) s)" >&2

status=0
if (( $# )); then
  "$@" || status=$?
else
  CI=true cargo test -p zilliz-import-upload --all-features --test azurite --locked || status=$?
fi
exit "$status"
