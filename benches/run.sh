#!/usr/bin/env bash
# Reproduces every figure in BENCHMARKS.md:
#
#     bash benches/run.sh
#
# Everything runs on loopback. Needs a Rust toolchain and python3 (with venv
# and pip reaching PyPI, for pymilvus). Results go to stdout and to
# $ZI_BENCH_OUT (default: bench-results/ under the cargo target dir).
#
#   ZI_BENCH_QUICK=1       small runs, for a smoke test (figures not meaningful)
#   ZI_BENCH_SKIP_BUILD=1  skip the clean-build / rebuild timings (the slow part;
#                          benches/build_time.sh runs the clean-build comparison alone)
#   ZI_BENCH_VENV=DIR      where the pymilvus virtualenv lives
#   ZI_BENCH_PYTHON=PATH   a python that already has pymilvus (skips the venv)
#   ZI_BENCH_WAIT_SCALE=N  time scale of the measured wait bench (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYMILVUS_VERSION=${PYMILVUS_VERSION:-3.0.2}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=${ZI_BENCH_OUT:-$TARGET/bench-results}
mkdir -p "$OUT"

section() { printf '\n==== %s ====\n' "$*"; }

section machine
{
  echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc:   $(nproc)"
  echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel:  $(uname -sr)"
  echo "rustc:   $(rustc --version)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at start)"
} | tee "$OUT/machine.txt"

section "pymilvus"
if [ -z "${ZI_BENCH_PYTHON:-}" ]; then
  VENV=${ZI_BENCH_VENV:-${TMPDIR:-/tmp}/zilliz-import-bench-venv}
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" || echo "cannot create a virtualenv at $VENV"
  fi
  if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import pymilvus.bulk_writer' 2>/dev/null; then
    "$VENV/bin/pip" install -q "pymilvus[bulk-writer]==$PYMILVUS_VERSION" ||
      echo "pip install pymilvus[bulk-writer]==$PYMILVUS_VERSION failed: the pymilvus comparison will say so"
  fi
  export ZI_BENCH_PYTHON=$VENV/bin/python
fi
echo "python for pymilvus: $ZI_BENCH_PYTHON"

section "build (release profile, benches, and the CLI the emulator benches start)"
cargo build --locked --release -p zilliz-import-cli 2>&1 | tail -n 1
cargo bench --locked --all-features --no-run 2>&1 | tail -n 3

for bench in client_overhead vs_pymilvus load_memory wait_detection wait_many; do
  section "cargo bench --bench $bench"
  cargo bench --locked --all-features --bench "$bench" 2>/dev/null | tee "$OUT/$bench.txt"
done

section "instructions per create, client process only (valgrind --tool=callgrind; counted, not timed)"
if command -v valgrind >/dev/null; then
  ZI_BENCH_OUT="$OUT" bash benches/instructions.sh | tee "$OUT/instructions-run.log"
else
  echo "valgrind not found (apt-get install valgrind): skipped"
fi

section "peer: milvus-sdk-rust 3.0.3 (its own crate, benches/peer)"
# A separate package with its own Cargo.lock and target dir (the one
# benches/instructions.sh uses): the gRPC SDK is never part of the main build.
CARGO_TARGET_DIR=$TARGET/peer cargo run --release --manifest-path benches/peer/Cargo.toml 2>/dev/null | tee "$OUT/peer_sdk.txt"

if [ "${ZI_BENCH_SKIP_BUILD:-0}" = 0 ]; then
  section "clean build: library vs a bare reqwest+tokio+serde crate (dev profile, interleaved rounds)"
  ZI_BUILD_TIMINGS=1 ZI_BUILD_OUT="$OUT" bash benches/build_time.sh | tee "$OUT/build_clean.txt"

  section "build times (dev profile, scratch copy, own target dir)"
  SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/zilliz-import-buildtime.XXXXXX")
  mkdir "$SCRATCH/repo"
  tar --exclude=./target --exclude=./.git -cf - . | tar -xf - -C "$SCRATCH/repo"
  secs() { date +%s.%N; }
  (
    cd "$SCRATCH/repo"
    export CARGO_TARGET_DIR=$SCRATCH/target CARGO_INCREMENTAL=1
    cargo fetch --locked >/dev/null 2>&1
    t0=$(secs); cargo build --locked --offline --workspace 2>/dev/null; t1=$(secs)
    cargo build --locked --offline --workspace 2>/dev/null; t2=$(secs)
    printf '\n# benchmark edit\n' >>openapi.yaml
    t3=$(secs); cargo build --locked --offline --workspace 2>/dev/null; t4=$(secs)
    # A new optional field in a response schema: the generated types change.
    python3 - <<'PY'
import re
s = open("openapi.yaml").read()
anchor = "          description: ID of the import job that has been submitted.\n"
assert anchor in s, "openapi.yaml changed shape; update benches/run.sh"
s = s.replace(anchor, anchor + "        benchNote:\n          type: string\n          description: Added by benches/run.sh.\n", 1)
open("openapi.yaml", "w").write(s)
PY
    t5=$(secs); cargo build --locked --offline --workspace 2>/dev/null; t6=$(secs)
    generated=$(find "$CARGO_TARGET_DIR" -name generated.rs -path '*zilliz-import*' -newer openapi.yaml | head -n 1)
    grep -q bench_note "$generated" && field=yes || field=NO
    awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" -v f="$t5" -v g="$t6" -v field="$field" 'BEGIN {
      printf "clean build (cargo build, lib + CLI, all dependencies): %.1f s\n", b - a
      printf "no-op rebuild:                                          %.1f s\n", c - b
      printf "rebuild after appending a comment to openapi.yaml:      %.1f s\n", e - d
      printf "rebuild after adding an optional field to openapi.yaml: %.1f s (field in generated.rs: %s)\n", g - f, field
    }'
  ) | tee "$OUT/build_times.txt"
  rm -rf "$SCRATCH"
fi

section summary
cat "$OUT/machine.txt"
grep -h '^RESULT' "$OUT"/*.txt || true
[ -f "$OUT/build_times.txt" ] && cat "$OUT/build_times.txt"
echo "raw outputs: $OUT"
