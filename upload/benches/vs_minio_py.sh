#!/usr/bin/env bash
# The uploader against the Python SDK's algorithm (minio-py fput_object, 5
# files at a time, the SDK's part size) on one local S3-compatible server,
# in one run: 1 GiB in 8 files, RUNS rounds alternating, on each of two
# servers in turn: s3s-fs 0.14.1 (a real store; here its MD5s make it the
# limit) and benches/null_s3.rs (reads and drops every byte: never the limit).
#
#   upload/benches/vs_minio_py.sh [RUNS]        (default 3)
#
# Prints, per round and side, wall seconds, MiB/s and client CPU seconds
# (user + sys) per GiB, then the medians and the ratios the issue asks for
# (throughput >= 1.5x, CPU per GiB <= 0.5x), and each side's peak RSS (the
# uploader's is bounded by concurrency x part size + a constant: 8 x 5 MiB
# here). Installs into
# ~/.cache/zilliz-import: s3s-fs (cargo install, about 3.5 min once) and a
# venv with minio. Env: ZI_BENCH_CONCURRENCY (the uploader's bound),
# ZI_BENCH_FILES (the 1 GiB in how many files, default 8), ZI_BENCH_SERVERS
# (default "s3s-fs null").
set -euo pipefail

runs="${1:-3}"
here="$(cd "$(dirname "$0")" && pwd -P)"
root="$(cd "$here/../.." && pwd -P)"
cache="$HOME/.cache/zilliz-import"
s3s="$cache/s3s-fs/bin/s3s-fs"
venv="$cache/upload-bench-venv"

if [[ ! -x "$s3s" ]]; then
  CARGO_TARGET_DIR="$cache/s3s-fs-target" cargo install s3s-fs --version 0.14.1 --locked \
    --features binary --root "$cache/s3s-fs" >&2
  rm -rf "$cache/s3s-fs-target"
fi
if ! "$venv/bin/python" -c "import minio" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "minio==7.2.20"
fi
# The bench executables (built with the bench profile): name -> path.
executable() {
  (cd "$root" && cargo bench -p zilliz-import-upload --bench "$1" --no-run \
    --message-format=json 2>/dev/null) | "$venv/bin/python" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1"
}
bench="$(executable upload_throughput)"
null_s3="$(executable null_s3)"

work="$(mktemp -d "${TMPDIR:-/tmp}/zilliz-upload-bench.XXXXXX")"
server=""
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/files" "$work/store/bench"
files="${ZI_BENCH_FILES:-8}"
for i in $(seq 1 "$files"); do head -c $(((1024 / files) << 20)) /dev/urandom >"$work/files/part-$i.bin"; done
export AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=benchsecret

# Starts server $1 (s3s-fs or null) on a free port: sets $server, $endpoint.
start_server() {
  local port
  port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  if [[ $1 == s3s-fs ]]; then
    "$s3s" --host 127.0.0.1 --port "$port" --access-key benchkey --secret-key benchsecret "$work/store" \
      >"$work/server.log" 2>&1 &
  else
    ZI_NULL_S3_PORT="$port" "$null_s3" >"$work/server.log" 2>&1 &
  fi
  server=$!
  endpoint="http://127.0.0.1:$port"
  until "$venv/bin/python" -c "import urllib.request, urllib.error
try: urllib.request.urlopen('$endpoint/', timeout=1)
except urllib.error.HTTPError: pass" 2>/dev/null; do sleep 0.1; done
}

# Wall, user and sys seconds and peak RSS (MiB) of one command.
timed() {
  "$venv/bin/python" -c '
import resource, subprocess, sys, time
start = time.monotonic()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.monotonic() - start
if done.returncode:
    sys.exit(done.stderr.decode())
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.3f} {r.ru_utime:.3f} {r.ru_stime:.3f} {r.ru_maxrss / 1024:.0f}")' "$@"
}

# The server's CPU seconds so far (utime + stime).
server_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$server/stat"
}

gib=1
for kind in ${ZI_BENCH_SERVERS:-s3s-fs null}; do
  start_server "$kind"
  echo "== server: $kind"
  results=()
  for round in $(seq 1 "$runs"); do
    for side in python rust; do
      prefix="$side-$round"
      before="$(server_cpu)"
      if [[ $side == python ]]; then
        read -r wall user sys rss < <(timed "$venv/bin/python" "$here/minio_py_upload.py" "$endpoint" bench "$prefix" "$work/files")
      else
        read -r wall user sys rss < <(ZI_BENCH_ENDPOINT="$endpoint" ZI_BENCH_BUCKET=bench ZI_BENCH_PREFIX="$prefix" \
          ZI_BENCH_DIR="$work/files" timed "$bench")
      fi
      after="$(server_cpu)"
      rm -rf "${work:?}/store/bench/$prefix"
      line="$(awk -v s="$side" -v r="$round" -v w="$wall" -v u="$user" -v y="$sys" -v g="$gib" \
        'BEGIN { printf "%s %s %.2f %.1f %.2f", s, r, w, g * 1024 / w, (u + y) / g }')"
      echo "round $round $side: wall ${wall}s, $(echo "$line" | cut -d' ' -f4) MiB/s, CPU $(echo "$line" | cut -d' ' -f5) s/GiB, peak RSS ${rss} MiB, server CPU $(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }') s"
      results+=("$line")
    done
  done
  printf '%s\n' "${results[@]}" | awk '
    { n[$1]++; mibs[$1, n[$1]] = $4; cpu[$1, n[$1]] = $5 }
    function median(a, s, k,   i, j, t, v) {
      for (i = 1; i <= k; i++) v[i] = a[s, i]
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      return (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
    }
    END {
      pm = median(mibs, "python", n["python"]); rm = median(mibs, "rust", n["rust"])
      pc = median(cpu, "python", n["python"]); rc = median(cpu, "rust", n["rust"])
      printf "median python: %.1f MiB/s, %.2f CPU s/GiB\n", pm, pc
      printf "median rust:   %.1f MiB/s, %.2f CPU s/GiB\n", rm, rc
      printf "throughput ratio %.2fx (must be >= 1.5), CPU ratio %.2f (must be <= 0.5)\n", rm / pm, rc / pc
    }'
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
done
