#!/usr/bin/env bash
# The Rust writer and pymilvus' LocalBulkWriter on the same JSONL rows, one
# after the other in one run, so both see the same machine and load.
#
#     bash benches/side_by_side.sh [ROWS]      # default 20000
#
# Needs .venv-pymilvus (made here if missing: pymilvus and the packages its
# bulk_writer imports).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows="${1:-20000}"
venv="$here/.venv-pymilvus"
if ! "$venv/bin/python" -c "from pymilvus.bulk_writer import LocalBulkWriter" 2>/dev/null; then
    python3 -m venv "$venv"
    # The packages bulk_writer imports are listed too: some pip versions
    # do not match the extra's name.
    "$venv/bin/pip" install --quiet --disable-pip-version-check "pymilvus[bulk-writer]==3.0.2" \
        minio azure-storage-blob pyarrow ml_dtypes pandas requests
fi
jsonl="$(mktemp --suffix=.jsonl)"
trap 'rm -f "$jsonl"' EXIT
cd "$here"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo bench --bench throughput -- --rows "$rows" --save-jsonl "$jsonl"
"$venv/bin/python" benches/pymilvus_writer.py "$jsonl"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
