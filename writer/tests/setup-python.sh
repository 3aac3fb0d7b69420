#!/usr/bin/env bash
# Makes writer/.venv with the Python readers the tests check files with
# (pyarrow for Parquet, numpy for .npy), unless it is already there.
# Idempotent: a second run with everything installed does nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$here/.venv"
want_pyarrow="${PYARROW_VERSION:-17.0.0}"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import pyarrow, numpy; assert pyarrow.__version__ == '$want_pyarrow'" 2>/dev/null; then
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pyarrow==$want_pyarrow" "numpy<2"
