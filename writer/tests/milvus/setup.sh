#!/usr/bin/env bash
# Creates (idempotently) the Python venv that runs a real Milvus 2.3.5 and the
# import checker. Prints one short line on success.
#
#   MILVUS_VENV   where the venv goes (default ~/.cache/zilliz-import/milvus-venv)
#   PYTHON        the interpreter to build it from (default python3.11, else python3)
set -euo pipefail

venv="${MILVUS_VENV:-$HOME/.cache/zilliz-import/milvus-venv}"
py="${PYTHON:-$(command -v python3.11 || command -v python3)}"

# The exact pins: without them pymilvus 2.3 fails to import.
pins=(milvus==2.3.5 pymilvus==2.3.7 "setuptools<70" "protobuf<5" "numpy<2"
      "pandas<2.2" "marshmallow<3.20" pyarrow==17.0.0)
stamp="$venv/.zilliz-import-pins"
want="$(printf '%s\n' "${pins[@]}")"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
   && "$venv/bin/python" -c 'import pymilvus, pyarrow, numpy, milvus' 2>/dev/null; then
  echo "milvus venv ready: $venv"
  exit 0
fi

log="$(mktemp -t milvus-setup.XXXXXX)"
trap 'rm -f "$log"' EXIT
if ! {
  "$py" -m venv "$venv" &&
  nice -n 10 "$venv/bin/python" -m pip install --disable-pip-version-check -q "${pins[@]}" &&
  "$venv/bin/python" -c 'import pymilvus, pyarrow, numpy, milvus'
} >"$log" 2>&1; then
  echo "setup.sh: could not build the venv at $venv:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
printf '%s\n' "$want" >"$stamp"
echo "milvus venv ready: $venv (installed)"
