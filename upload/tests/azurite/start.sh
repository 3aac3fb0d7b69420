#!/usr/bin/env bash
# Starts Azurite 3.37.0 (Azure Blob only) on 127.0.0.1 with Shared Key
# authentication, for the upload crate's Azure tests.
#
#   upload/tests/azurite/start.sh DIR
#
# Installs (or reuses) the npm package into $ZI_AZURITE_HOME (default
# ~/.cache/zilliz-import/azurite, kept between runs so that CI installs it
# once), starts its blob server on a free port with its data in DIR, waits
# until it answers and writes DIR/azurite.env (ZI_AZURITE_URL: the
# account's endpoint, ZI_AZURITE_NODE, ZI_AZURITE_CONTAINER_JS) and
# DIR/azurite.pid. Stop it with `kill $(cat DIR/azurite.pid)` (ci.sh does).
# Env: ZI_AZURITE_START_TIMEOUT (seconds, default 60).
set -euo pipefail

dir="${1:?usage: start.sh DIR}"
here="$(cd "$(dirname "$0")" && pwd -P)"
home="${ZI_AZURITE_HOME:-$HOME/.cache/zilliz-import/azurite}"
want="3.37.0"
main="$home/node_modules/azurite/dist/src/blob/main.js"

installed() {
  node -e "process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)" \
    "$home/node_modules/azurite/package.json" "$want" 2>/dev/null
}
if ! installed; then
  echo "start.sh: installing azurite@$want into $home" >&2
  mkdir -p "$home"
  # --prefer-offline: npm's own cache first, the registry only for what
  # it lacks.
  npm install --prefix "$home" --prefer-offline --no-audit --no-fund --loglevel=error \
    "azurite@$want" >&2
  installed || { echo "start.sh: azurite@$want did not install" >&2; exit 1; }
fi

mkdir -p "$dir/data"
port="$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
url="http://127.0.0.1:$port/devstoreaccount1"
node "$main" --blobHost 127.0.0.1 --blobPort "$port" --location "$dir/data" \
  --skipApiVersionCheck --loose --silent >"$dir/azurite.log" 2>&1 </dev/null &
echo $! >"$dir/azurite.pid"

# Up once a container can be made (the probe container stays, unused).
deadline=$(( SECONDS + ${ZI_AZURITE_START_TIMEOUT:-60} ))
until node "$here/container.js" "$url" "probe" 2>/dev/null; do
  if ! kill -0 "$(cat "$dir/azurite.pid")" 2>/dev/null; then
    echo "start.sh: azurite exited; its log:" >&2
    cat "$dir/azurite.log" >&2
    exit 1
  fi
  if (( SECONDS > deadline )); then
    echo "start.sh: azurite did not answer on $url in time" >&2
    exit 1
  fi
  sleep 0.2
done

{
  echo "ZI_AZURITE_URL=$url"
  echo "ZI_AZURITE_NODE=$(command -v node)"
  echo "ZI_AZURITE_CONTAINER_JS=$here/container.js"
} >"$dir/azurite.env.tmp"
mv "$dir/azurite.env.tmp" "$dir/azurite.env"
echo "$url"
