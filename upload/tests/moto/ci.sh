#!/usr/bin/env bash
# Runs COMMAND with moto 5.2.5 (S3 + STS, authentication on) up, then stops
# moto, whatever happens.
#
#   upload/tests/moto/ci.sh [COMMAND [ARG...]]
#
# With no COMMAND it runs the upload crate's moto tests:
#   CI=true cargo test -p zilliz-import-upload --test moto --locked
# COMMAND gets the variables start.sh writes (ZI_MOTO_URL, ZI_MOTO_PYTHON,
# ZI_MOTO_HELPER, ZI_MOTO_ADMIN_KEY_ID, ZI_MOTO_ADMIN_SECRET, ZI_MOTO_ROLE_ARN).
# Exit status: COMMAND's, or 1 when moto could not be set up or started.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd -P)"
home="$(mktemp -d "${TMPDIR:-/tmp}/zilliz-import-moto.XXXXXX")"

watchdog=""
stop() {
  [[ -n "$watchdog" ]] && kill "$watchdog" 2>/dev/null || true
  if [[ -f "$home/moto.pid" ]]; then kill "$(cat "$home/moto.pid")" 2>/dev/null || true; fi
  rm -rf "$home"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$here/start.sh" "$home" >/dev/null

# Should this script be killed outright (no EXIT trap then), stop moto
# anyway once this script is gone.
parent=$$
pid="$(cat "$home/moto.pid")"
(
  trap '' INT
  while kill -0 "$parent" 2>/dev/null; do sleep 2; done
  kill "$pid" 2>/dev/null || true
  rm -rf "$home"
) </dev/null >/dev/null 2>&1 &
watchdog=$!

set -a
# shellcheck disable=SC1091
. "$home/moto.env"
set +a
echo "ci.sh: moto 5.2.5 on $ZI_MOTO_URL" >&2

status=0
if (( $# )); then
  "$@" || status=$?
else
  CI=true cargo test -p zilliz-import-upload --test moto --locked || status=$?
fi
exit "$status"
