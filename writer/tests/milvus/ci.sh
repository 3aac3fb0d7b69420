#!/usr/bin/env bash
# Runs COMMAND with a real Milvus 2.3.5 up, then brings it down, whatever happens.
#
#   writer/tests/milvus/ci.sh [COMMAND [ARG...]]
#
# With no COMMAND it runs the harness's own selftest.py. COMMAND gets:
#   MILVUS_ENDPOINT=127.0.0.1:PORT  the gRPC endpoint (also MILVUS_PORT and the
#                                   rest of milvus.env, see milvus.sh)
#   MILVUS_PYTHON                   the venv's python
#   MILVUS_IMPORT_CHECK             this folder's import_check.py
# Env: MILVUS_VENV (see setup.sh); MILVUS_HOME: the server's folder, kept after
# the run (default: a fresh temporary folder, removed at the end, so that runs
# side by side do not meet); MILVUS_START_TIMEOUT (see milvus.sh).
# Exit status: COMMAND's, or 1 when Milvus could not be set up or started.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd -P)"
export MILVUS_VENV="${MILVUS_VENV:-$HOME/.cache/zilliz-import/milvus-venv}"
"$here/setup.sh" >&2

own=0
if [[ -n "${MILVUS_HOME:-}" ]]; then
  home="$MILVUS_HOME"
else
  home="$(mktemp -d "${TMPDIR:-/tmp}/zilliz-import-milvus.XXXXXX")"
  own=1
fi

watchdog=""
cleanup() {
  [[ -n "$watchdog" ]] && kill "$watchdog" 2>/dev/null || true
  "$here/milvus.sh" down "$home" >&2 || true
  if (( own )); then rm -rf "$home"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$here/milvus.sh" up "$home" >/dev/null

# Should this script be killed outright (no EXIT trap then), bring the server
# down anyway once this script is gone.
parent=$$
(
  trap '' INT
  while kill -0 "$parent" 2>/dev/null; do sleep 2; done
  "$here/milvus.sh" down "$home" || true
  if (( own )); then rm -rf "$home"; fi
) </dev/null >/dev/null 2>&1 &
watchdog=$!

set -a
# shellcheck disable=SC1091
. "$home/milvus.env"
set +a
export MILVUS_PYTHON="$MILVUS_VENV/bin/python"
export MILVUS_IMPORT_CHECK="$here/import_check.py"
echo "ci.sh: Milvus 2.3.5 on $MILVUS_ENDPOINT" >&2

status=0
if (( $# )); then
  "$@" || status=$?
else
  "$MILVUS_PYTHON" "$here/selftest.py" || status=$?
fi
exit "$status"
