#!/usr/bin/env bash
# Instructions per create executed by the client process, counted with
# callgrind, for the crate, the official Rust SDK (milvus-sdk-rust 3.0.3) and
# raw reqwest (the floor), against the same emulator:
#
#     bash benches/instructions.sh
#
# One emulator (`call_instructions serve`, its own process, not counted)
# serves every client. Each client runs under `valgrind --tool=callgrind` at
# N = 300 and N = 1,300 creates; (total(1300) - total(300)) / 1000 is its
# cost per create, start-up (TLS roots, runtime, connections) cancelled.
# First one create at a time, then 16 and 128 in flight on the client's one
# thread (the cost per create when the client is what limits throughput).
# Instruction counts do not depend on the machine's load: on a shared
# machine quote these, and timings only as ratios from one run.
#
# Then a profile of the crate's create, one at a time
# (benches/callgrind_diff.py over both runs' callgrind outputs: inclusive
# cost of the crate's functions, what they call in other crates, self cost by
# source file, all per create); in full in $OUT/instructions-profile-MODE.txt,
# the callgrind outputs beside it ($OUT/callgrind.MODE.N, for
# callgrind_annotate or kcachegrind).
#
#   ZI_INSTR_SDK=0          skip the official SDK (benches/peer builds its gRPC
#                           stack: 10-15 minutes in release the first time)
#   ZI_INSTR_MODES=LIST     the crate's bench modes to count (default:
#                           "crate generated reqwest reqwest-configured"; also
#                           crate-rate-limited, crate-idempotent: see
#                           benches/call_instructions.rs)
#   ZI_INSTR_CONCURRENCY=L  creates in flight (default "1 16 128"; the
#                           generated and reqwest-configured modes at 1 only)
#   ZI_INSTR_PROFILE=LIST   modes to profile at 1 in flight (default: crate;
#                           "" for none; sdk allowed)
#   ZI_INSTR_LO / _HI       the two N (default 300 and 1300)
#   ZI_INSTR_TOP=K          entries per profile table (default 40)
#   ZI_INSTR_LINES=1        build with line tables (debug = "line-tables-only":
#                           the same code; the profile's by-file table then
#                           names source files, inlined code included). A
#                           build of its own: without it the benches share
#                           `cargo bench`'s build.
#   ZI_BENCH_OUT=DIR        where results go (default: target/bench-results/)
#
# Ends with RESULT lines: instructions per create, crate / SDK (the issue's
# target: at most 1) and crate / raw reqwest.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=${ZI_BENCH_OUT:-$TARGET/bench-results}
LO=${ZI_INSTR_LO:-300} HI=${ZI_INSTR_HI:-1300}
MODES=${ZI_INSTR_MODES:-crate generated reqwest reqwest-configured}
LEVELS=${ZI_INSTR_CONCURRENCY:-1 16 128}
PROFILE=${ZI_INSTR_PROFILE-crate}
TOP=${ZI_INSTR_TOP:-40}
[ "${ZI_INSTR_LINES:-0}" = 0 ] || export CARGO_PROFILE_BENCH_DEBUG=line-tables-only CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/zilliz-import-instr.XXXXXX")
SERVER=
trap '[ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT

# The executable cargo built for a target named $1, from --message-format=json on stdin.
executable() {
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1"
}

echo "building (release)..." >&2
BIN=$(cargo bench --locked --all-features --bench call_instructions --no-run --message-format=json 2>"$WORK/build.log" |
  executable call_instructions) || { cat "$WORK/build.log" >&2; exit 1; }
SDK=
if [ "${ZI_INSTR_SDK:-1}" != 0 ]; then
  # Its own package and lock file, built in a target dir of its own.
  SDK=$(CARGO_TARGET_DIR=$TARGET/peer cargo build --release --manifest-path benches/peer/Cargo.toml --bin instructions \
    --message-format=json 2>"$WORK/build-peer.log" | executable instructions) || {
    tail -n 20 "$WORK/build-peer.log" >&2
    echo "the official SDK did not build: counting without it" >&2
    SDK=
  }
fi

"$BIN" serve >"$WORK/url" &
SERVER=$!
for _ in $(seq 100); do [ -s "$WORK/url" ] && break; sleep 0.1; done
URL=$(head -n 1 "$WORK/url")
[ -n "$URL" ] || { echo "the emulator did not start" >&2; exit 1; }
echo "emulator at $URL (pid $SERVER, not counted)" >&2

# run MODE N C: the client's command line.
run() {
  if [ "$1" = sdk ]; then echo "$SDK $2 $URL $3"; else echo "$BIN $1 $2 $URL $3"; fi
}
# count MODE N C: instructions of one run; keeps the callgrind output of a
# profiled mode (one in flight).
count() {
  local file=/dev/null
  case " $PROFILE " in *" $1 "*) [ "$3" != 1 ] || file=$OUT/callgrind.$1.$2 ;; esac
  # shellcheck disable=SC2046
  valgrind --tool=callgrind --callgrind-out-file="$file" $(run "$1" "$2" "$3") 2>"$WORK/valgrind.log" >/dev/null || {
    cat "$WORK/valgrind.log" >&2
    return 1
  }
  sed -n 's/.*Collected : //p' "$WORK/valgrind.log"
}

all=$MODES
[ -z "$SDK" ] || all="$all sdk"
for c in $LEVELS; do
  for mode in $all; do
    case "$c:$mode" in 1:*|*:crate|*:reqwest|*:sdk) ;; *) continue ;; esac
    lo=$(count "$mode" "$LO" "$c") hi=$(count "$mode" "$HI" "$c")
    echo "$mode $c $(((hi - lo) / (HI - LO)))"
  done
done | tee "$OUT/instructions.raw"

for mode in $PROFILE; do
  case " $all " in *" $mode "*) ;; *) continue ;; esac
  echo
  echo "profile of $mode (per create, N = $HI minus N = $LO; full: $OUT/instructions-profile-$mode.txt):"
  python3 benches/callgrind_diff.py "$OUT/callgrind.$mode.$LO" "$OUT/callgrind.$mode.$HI" "$((HI - LO))" "$TOP" \
    zilliz_import:: "$ROOT/" >"$OUT/instructions-profile-$mode.txt"
  head -n $((2 * TOP + 4)) "$OUT/instructions-profile-$mode.txt"
done

echo
awk '{ n[$1, $2] = $3; c[$2] = 1 } END {
  for (k in c) levels[++m] = k + 0
  for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (levels[j] < levels[i]) { t = levels[i]; levels[i] = levels[j]; levels[j] = t }
  for (i = 1; i <= m; i++) {
    l = levels[i]
    line = sprintf("RESULT instructions per create, %d in flight (client process only, against the emulator): crate %d", l, n["crate", l])
    if (("sdk", l) in n) line = line sprintf(", milvus-sdk-rust 3.0.3 %d", n["sdk", l])
    if (("reqwest", l) in n) line = line sprintf(", raw reqwest %d", n["reqwest", l])
    if (("generated", l) in n) line = line sprintf(", generated layer %d", n["generated", l])
    if (("reqwest-configured", l) in n) line = line sprintf(", reqwest configured like the crate %d", n["reqwest-configured", l])
    if (("sdk", l) in n) line = line sprintf("; crate/sdk = %.3f (target <= 1: %s)", n["crate", l] / n["sdk", l], n["crate", l] <= n["sdk", l] ? "met" : "MISSED")
    if (("reqwest", l) in n) line = line sprintf("; crate/reqwest = %.3f", n["crate", l] / n["reqwest", l])
    print line
  }
}' "$OUT/instructions.raw" | tee "$OUT/instructions.txt"
