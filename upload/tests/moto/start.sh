#!/usr/bin/env bash
# Starts moto 5.2.5 (S3, IAM, STS) on 127.0.0.1 with authentication on, for
# the upload tests, and bootstraps an admin user and a role to assume.
#
#   upload/tests/moto/start.sh DIR
#
# Makes (or reuses) the venv $ZI_MOTO_VENV (default
# ~/.cache/zilliz-import/moto-venv: moto[server]==5.2.5 and boto3), starts
# `moto_server` on a free port with INITIAL_NO_AUTH_ACTION_COUNT=3, waits for
# /moto-api/, spends the three unchecked calls on an admin user (sts.py
# bootstrap) and writes DIR/moto.env (ZI_MOTO_URL, ZI_MOTO_PYTHON,
# ZI_MOTO_HELPER, ZI_MOTO_ADMIN_KEY_ID, ZI_MOTO_ADMIN_SECRET,
# ZI_MOTO_ROLE_ARN) and DIR/moto.pid. Stop it with `kill $(cat DIR/moto.pid)`
# (ci.sh does). Env: ZI_MOTO_START_TIMEOUT (seconds, default 60).
set -euo pipefail

dir="${1:?usage: start.sh DIR}"
here="$(cd "$(dirname "$0")" && pwd -P)"
venv="${ZI_MOTO_VENV:-$HOME/.cache/zilliz-import/moto-venv}"
want="5.2.5"

if ! "$venv/bin/python" -c "import moto, boto3; assert moto.__version__ == '$want'" 2>/dev/null; then
  echo "start.sh: installing moto[server]==$want into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$want" boto3
fi

mkdir -p "$dir"
port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
INITIAL_NO_AUTH_ACTION_COUNT=3 "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" \
  >"$dir/moto.log" 2>&1 </dev/null &
echo $! >"$dir/moto.pid"

deadline=$(( SECONDS + ${ZI_MOTO_START_TIMEOUT:-60} ))
until "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('$url/moto-api/', timeout=1)" 2>/dev/null; do
  if ! kill -0 "$(cat "$dir/moto.pid")" 2>/dev/null; then
    echo "start.sh: moto_server exited; its log:" >&2
    cat "$dir/moto.log" >&2
    exit 1
  fi
  if (( SECONDS > deadline )); then
    echo "start.sh: moto_server did not answer on $url in time" >&2
    exit 1
  fi
  sleep 0.2
done

{
  echo "ZI_MOTO_URL=$url"
  echo "ZI_MOTO_PYTHON=$venv/bin/python"
  echo "ZI_MOTO_HELPER=$here/sts.py"
  "$venv/bin/python" "$here/sts.py" bootstrap "$url"
} >"$dir/moto.env.tmp"
mv "$dir/moto.env.tmp" "$dir/moto.env"
echo "$url"
