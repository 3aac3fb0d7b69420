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

watchdog=""
stop() {
  [[ -n "$watchdog" ]] && kill "$watchdog" 2>/dev/null || true
  if [[ -f "$home/azurite.pid" ]]; then kill "$(cat "$home/azurite.pid")" 2>/dev/null || true; fi
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
  kill "$pid" 2>/dev/null || true
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
