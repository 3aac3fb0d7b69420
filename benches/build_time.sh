#!/usr/bin/env bash
# Clean-build time of the library against a bare crate with the same HTTP stack.
#
#     bash benches/build_time.sh            # 2 rounds
#     ZI_BUILD_ROUNDS=3 bash benches/build_time.sh
#
# Both builds are `cargo build --lib --no-default-features --offline`, dev
# profile, each into its own empty target dir (removed before every build),
# in the same run, rounds interleaved (each round starts with another
# contender: round 1 bare then library, round 2 library then bare, ...), and
# the medians compared. The bare crate is generated in a temp dir with
# reqwest 0.13 (default-features = false, features rustls, json, http2),
# tokio, serde and serde_json, and a copy of this repository's Cargo.lock so
# the versions match. The library is built from a scratch copy of the working
# tree (no target/, .git or benches/peer).
#
#   ZI_BUILD_ROUNDS=N       rounds (default 2; each round builds each contender once)
#   ZI_BUILD_FEATURES=LIST  features for the library build (default: none)
#   ZI_BUILD_BASELINE=REV   also build the library as of git revision REV
#                           (same features), in the same rounds: before/after
#   ZI_BUILD_TIMINGS=1      one more library build with --timings; prints the
#                           top units by duration (report kept in $ZI_BUILD_OUT)
#   ZI_BUILD_OUT=DIR        where the --timings report is copied
#                           (default: target/bench-results/)
#
# Ends with one line: RESULT clean build ... ratio library/bare = X.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=${ZI_BUILD_ROUNDS:-2}
FEATURES=${ZI_BUILD_FEATURES:-}
OUT=${ZI_BUILD_OUT:-${CARGO_TARGET_DIR:-$ROOT/target}/bench-results}
TIME=${ZI_BUILD_TIME_BIN:-/usr/bin/time}
[ -x "$TIME" ] || { echo "needs GNU time at $TIME (apt-get install time, or set ZI_BUILD_TIME_BIN)" >&2; exit 1; }
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/zilliz-import-cleanbuild.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
unset CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR

# The library: a copy of the working tree.
mkdir "$SCRATCH/lib"
tar --exclude=./target --exclude=./.git --exclude=./benches/peer --exclude=./fuzz -cf - . |
  tar -xf - -C "$SCRATCH/lib"

# The library as of another revision, to compare before and after a change.
BASELINE=${ZI_BUILD_BASELINE:-}
if [ -n "$BASELINE" ]; then
  mkdir "$SCRATCH/base"
  git archive --format=tar "$BASELINE" | tar -xf - -C "$SCRATCH/base"
  rm -rf "$SCRATCH/base/benches/peer"
fi

# The bare crate: the same HTTP stack and serde, nothing else.
REQWEST=$(awk -F'"' '/^name = "reqwest"/ { getline; print $2; exit }' Cargo.lock)
mkdir -p "$SCRATCH/bare/src"
cat >"$SCRATCH/bare/Cargo.toml" <<EOF
[package]
name = "bare-http-client"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
reqwest = { version = "=$REQWEST", default-features = false, features = ["rustls", "json", "http2"] }
tokio = { version = "1", features = ["time", "sync", "macros", "rt"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"

[profile.dev.package."*"]
debug = 0

[workspace]
EOF
cat >"$SCRATCH/bare/src/lib.rs" <<'EOF'
//! A bare client of the same endpoint: reqwest + serde, nothing generated.

#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateImportJob {
    pub cluster_id: String,
    pub collection_name: String,
    pub object_url: String,
}

#[derive(Debug, serde::Deserialize)]
pub struct Envelope {
    pub code: i64,
    pub message: Option<String>,
    pub data: Option<serde_json::Value>,
}

pub async fn create(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    body: &CreateImportJob,
) -> reqwest::Result<Envelope> {
    let response = client
        .post(format!("{base}/v2/vectordb/jobs/import/create"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await?;
    response.json().await
}

/// The pause between two attempts.
pub async fn pause(attempt: u32) {
    tokio::time::sleep(std::time::Duration::from_millis(100 << attempt.min(8))).await;
}
EOF
cp Cargo.lock "$SCRATCH/bare/Cargo.lock"

echo "fetching sources (once, then --offline)..." >&2
(cd "$SCRATCH/lib" && cargo fetch --locked -q)
[ -z "$BASELINE" ] || (cd "$SCRATCH/base" && cargo fetch --locked -q)
(cd "$SCRATCH/bare" && cargo fetch -q)

# build NAME: a clean build; prints its wall-clock seconds and its CPU
# seconds (user + system, of cargo, rustc, build scripts and the C
# compiler). Wall time is the figure that counts; CPU time is steadier when
# other builds share the machine.
build() {
  local name=$1 dir=$SCRATCH/$1 target=$SCRATCH/target-$1
  local args=(build --lib --no-default-features --offline --quiet)
  if [ "$name" != bare ]; then
    args+=(--locked)
    [ -z "$FEATURES" ] || args+=(--features "$FEATURES")
  fi
  rm -rf "$target"
  "$TIME" -f '%e %U %S' -o "$SCRATCH/time" \
    env -C "$dir" CARGO_TARGET_DIR="$target" cargo "${args[@]}" >&2
  rm -rf "$target"
  awk '{ printf "%.1f %.1f\n", $1, $2 + $3 }' "$SCRATCH/time"
}

# Round r starts at a different contender each time (rotated, reversed
# every other round), so drift in the machine's load hits all alike.
names=(bare lib)
[ -z "$BASELINE" ] || names+=(base)
declare -A walls cpus
for ((r = 1; r <= ROUNDS; r++)); do
  n=${#names[@]} order=()
  for ((i = 0; i < n; i++)); do order+=("${names[(i + r - 1) % n]}"); done
  if ((r % 2 == 0)); then order=($(printf '%s\n' "${order[@]}" | tac)); fi
  for name in "${order[@]}"; do
    read -r wall cpu < <(build "$name")
    echo "round $r: $name $wall s wall, $cpu s CPU (load $(cut -d' ' -f1 /proc/loadavg))"
    walls[$name]+=" $wall" cpus[$name]+=" $cpu"
  done
done

median() { printf '%s\n' $@ | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
lib_m=$(median ${walls[lib]}) bare_m=$(median ${walls[bare]})
lib_c=$(median ${cpus[lib]}) bare_c=$(median ${cpus[bare]})

if [ "${ZI_BUILD_TIMINGS:-0}" = 1 ]; then
  target=$SCRATCH/target-timings
  (cd "$SCRATCH/lib" && CARGO_TARGET_DIR=$target cargo build --lib --no-default-features --offline --locked --quiet \
    ${FEATURES:+--features "$FEATURES"} --timings >&2)
  report=$(ls "$target"/cargo-timings/cargo-timing-*.html | head -n 1)
  mkdir -p "$OUT" && cp "$report" "$OUT/cargo-timing-lib.html"
  echo "top units of one more library build with --timings (report: $OUT/cargo-timing-lib.html):"
  python3 - "$report" <<'PY'
import json, re, sys
html = open(sys.argv[1]).read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S).group(1))
total = re.search(r"<td>Total time:</td><td>([^<]*)</td>", html)
print(f"  total: {total.group(1) if total else '?'}, {len(units)} units")
for u in sorted(units, key=lambda u: -u["duration"])[:15]:
    what = u["target"].strip() or "lib"
    print(f"  {u['duration']:6.1f} s  {u['name']} {u['version']} {what}")
PY
fi

printf 'RESULT clean build (dev, --lib --no-default-features%s; median of %d): library %s s, bare reqwest+tokio+serde crate %s s, ratio library/bare = %s (target <= 1.25: %s); CPU time library %s s, bare %s s, ratio %s\n' \
  "${FEATURES:+ --features $FEATURES}" "$ROUNDS" "$lib_m" "$bare_m" "$(ratio "$lib_m" "$bare_m")" \
  "$(awk -v a="$lib_m" -v b="$bare_m" 'BEGIN { print (a <= 1.25 * b) ? "met" : "MISSED" }')" \
  "$lib_c" "$bare_c" "$(ratio "$lib_c" "$bare_c")"
if [ -n "$BASELINE" ]; then
  base_m=$(median ${walls[base]}) base_c=$(median ${cpus[base]})
  printf 'RESULT clean build of the library as of %s (same run): %s s, ratio to bare = %s; CPU time %s s, ratio %s; now/then: wall %s, CPU %s\n' \
    "$(git rev-parse --short "$BASELINE")" "$base_m" "$(ratio "$base_m" "$bare_m")" "$base_c" "$(ratio "$base_c" "$bare_c")" \
    "$(ratio "$lib_m" "$base_m")" "$(ratio "$lib_c" "$base_c")"
fi
