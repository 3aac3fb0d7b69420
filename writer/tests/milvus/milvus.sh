#!/usr/bin/env bash
# Starts and stops a real Milvus 2.3.5 (the `milvus` PyPI package's
# `milvus-server`) for the import tests.
#
#   milvus.sh up     [HOME_DIR]   start it, wait until healthy, write the endpoint
#   milvus.sh down   [HOME_DIR]   stop it (SIGINT to the wrapper, then make sure
#                                 the `milvus` child is gone)
#   milvus.sh status [HOME_DIR]   print the endpoint file if the server is healthy
#   milvus.sh pids   [HOME_DIR]   the wrapper's and milvus's pids, leftovers included
#
# HOME_DIR (default $MILVUS_HOME, else ~/.cache/zilliz-import/milvus) holds:
#   server/       the server's --data dir (bin/ is kept between runs: the first
#                 start unpacks 246 MB there; data/, configs/, logs/ are wiped
#                 by `up` unless MILVUS_KEEP_DATA=1)
#   milvus.env    MILVUS_ENDPOINT=127.0.0.1:PORT and the ports and pids, sourceable
#   endpoint      127.0.0.1:PORT alone
#   wrapper.log   the wrapper's output
# One HOME_DIR per server: `up` stops whatever server was left in it before.
#
# Env: MILVUS_VENV (from setup.sh), MILVUS_START_TIMEOUT (seconds, default 120),
#      MILVUS_PORT (first gRPC port to try, default 19530; the wrapper takes the
#      next free one when it is busy, and the health and etcd ports likewise).
# `up` prints the lines of milvus.env on stdout; everything else goes to stderr.
set -euo pipefail

cmd="${1:-}"
home="${2:-${MILVUS_HOME:-$HOME/.cache/zilliz-import/milvus}}"
venv="${MILVUS_VENV:-$HOME/.cache/zilliz-import/milvus-venv}"
start_timeout="${MILVUS_START_TIMEOUT:-120}"

die() { echo "milvus.sh: $*" >&2; exit 1; }
say() { echo "milvus.sh: $*" >&2; }

case "$cmd" in up|down|status|pids) ;; *) die "usage: milvus.sh up|down|status|pids [HOME_DIR]" ;; esac
mkdir -p "$home"
home="$(cd "$home" && pwd -P)"
srv="$home/server"
envfile="$home/milvus.env"
exe="$srv/bin/milvus"

# The wrappers (`python .../milvus-server --data SRV`) and the `milvus`
# processes (`SRV/bin/milvus run standalone`) of this HOME_DIR, leftovers
# included. One `ps`, matched with literal patterns, and every pid checked
# again in /proc before it is listed: nothing else may ever be signalled.
procs() { # KIND: wrapper|server
  local kind="$1" pid args
  [[ -n "$srv" && "$srv" == /*/server ]] || die "bad server dir '$srv'"
  while read -r pid args; do
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    (( pid > 1 && pid != $$ && pid != BASHPID )) || continue
    if [[ "$kind" == server ]]; then
      [[ "$args" == "$exe run standalone"* ]] || continue
      [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$exe"* ]] || continue
    else
      [[ "$args" == *"milvus-server --data $srv" || "$args" == *"milvus-server --data $srv "* ]] || continue
      tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$srv" || continue
    fi
    echo "$pid"
  done < <(ps -eo pid=,args=)
}
wrappers() { procs wrapper; }
servers() { procs server; }
# sig SIGNAL PID...: signal only pids that are still this HOME_DIR's.
sig() {
  local s="$1" p; shift
  local ok=" $(procs wrapper | tr '\n' ' ') $(procs server | tr '\n' ' ') "
  for p in "$@"; do
    [[ "$ok" == *" $p "* ]] && kill "-$s" "$p" 2>/dev/null
  done
  return 0
}
alive() { kill -0 "$1" 2>/dev/null; }
# wait_gone SECONDS PID...: true when every PID has exited in time.
wait_gone() {
  local n=$(( $1 * 10 )) p left; shift
  while (( n-- > 0 )); do
    left=0; for p in "$@"; do alive "$p" && left=1; done
    (( left == 0 )) && return 0
    sleep 0.1
  done
  return 1
}

stop() {
  local ws ss
  ws=($(wrappers)); ss=($(servers))
  local gone=("${ss[@]}")
  rm -f "$envfile" "$home/endpoint"
  (( ${#ws[@]} + ${#ss[@]} == 0 )) && return 0
  say "stopping wrapper ${ws[*]:-none}, milvus ${ss[*]:-none}"
  # The wrapper's SIGINT handler terminates its child (SIGKILL after 1 s) and
  # exits; before the child is started (while it unpacks bin/) the handler
  # does nothing, so a wrapper without a child gets SIGTERM.
  if (( ${#ws[@]} )); then
    if (( ${#ss[@]} )); then sig INT "${ws[@]}"; else sig TERM "${ws[@]}"; fi
  fi
  if ! wait_gone 15 "${ws[@]}" "${ss[@]}"; then
    ss=($(servers)); ws=($(wrappers))
    (( ${#ss[@]} )) && sig TERM "${ss[@]}"
    if ! wait_gone 5 "${ss[@]}"; then
      say "still running after SIGINT and SIGTERM: SIGKILL"
      ss=($(servers)); (( ${#ss[@]} )) && sig KILL "${ss[@]}"
    fi
    ws=($(wrappers)); (( ${#ws[@]} )) && sig KILL "${ws[@]}"
    wait_gone 5 "${ws[@]}" "${ss[@]}" || die "could not stop: $(servers) $(wrappers)"
  fi
  ss=($(servers))
  (( ${#ss[@]} == 0 )) || die "milvus still running: ${ss[*]}"
  # milvus leaves /tmp/milvus/server_id_PID behind, outside its data dir.
  local p
  for p in "${gone[@]}"; do rm -f "/tmp/milvus/server_id_$p"; done
  rmdir /tmp/milvus 2>/dev/null || true
}

health_ok() { # PORT
  "$venv/bin/python" - "$1" <<'EOF' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2) as r:
    sys.exit(0 if r.status == 200 and b"OK" in r.read() else 1)
EOF
}

proxy_port() { # the `port:` directly under the top-level `proxy:` of milvus.yaml
  awk '/^[^ #]/ { inproxy = ($1 == "proxy:") }
       inproxy && /^  port:/ { print $2; exit }' "$srv/configs/milvus.yaml" 2>/dev/null
}

fail_start() {
  say "$1"
  for f in "$home/wrapper.log" "$srv/logs/milvus-stderr.log" "$srv/logs/milvus-stdout.log"; do
    [[ -s "$f" ]] && { echo "---- tail of $f" >&2; tail -n 30 "$f" >&2; }
  done
  stop || true
  exit 1
}

up() {
  [[ -x "$venv/bin/milvus-server" ]] || die "no $venv/bin/milvus-server: run setup.sh first"
  stop # a leftover of this HOME_DIR, if any
  mkdir -p "$srv"
  if [[ "${MILVUS_KEEP_DATA:-0}" != 1 ]]; then
    rm -rf "$srv/data" "$srv/logs" "$srv/run"
  fi
  rm -rf "$srv/configs" # so that the port read below is this run's
  # The embedded etcd listens on 2379 and 2380 whatever milvus.yaml says (its
  # etcd.endpoints is not used with the embedded etcd), so a second server on
  # the machine would panic: give it free ports through etcd.config.path, set by
  # the environment (ETCD_CONFIG_PATH) because the wrapper's template lacks it.
  local eports
  eports=($("$venv/bin/python" - <<'EOF'
import socket
got = []
port = 2379
while len(got) < 2 and port < 12379:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        got.append(port)
    except OSError:
        pass
    finally:
        s.close()
    port += 1
print(*got)
EOF
  ))
  (( ${#eports[@]} == 2 )) || die "no free ports for etcd"
  cat >"$home/embedEtcd.yaml" <<EOF
name: default
listen-client-urls: http://127.0.0.1:${eports[0]}
advertise-client-urls: http://127.0.0.1:${eports[0]}
listen-peer-urls: http://127.0.0.1:${eports[1]}
initial-advertise-peer-urls: http://127.0.0.1:${eports[1]}
initial-cluster: default=http://127.0.0.1:${eports[1]}
EOF
  local args=(--data "$srv")
  [[ -n "${MILVUS_PORT:-}" ]] && args+=(--proxy-port "$MILVUS_PORT")
  local t0=$SECONDS
  # setsid: its own process group, so no terminal signal reaches it by chance.
  ETCD_CONFIG_PATH="$home/embedEtcd.yaml" PYTHONUNBUFFERED=1 setsid "$venv/bin/milvus-server" "${args[@]}" \
    >"$home/wrapper.log" 2>&1 </dev/null &
  local wpid=$! cpid="" port="" hport=""
  local deadline=$(( SECONDS + start_timeout ))
  while :; do
    alive "$wpid" || fail_start "the wrapper exited before Milvus was healthy"
    (( SECONDS < deadline )) || fail_start "Milvus not healthy after ${start_timeout} s"
    if [[ -z "$cpid" ]]; then
      cpid="$(ps -o pid= --ppid "$wpid" 2>/dev/null | head -n1 | tr -d ' ')" || true
    fi
    # The wrapper waits on a dead child until its own 180 s are up: do not.
    [[ -z "$cpid" ]] || alive "$cpid" || fail_start "milvus (pid $cpid) exited before it was healthy"
    if [[ -n "$cpid" && -z "$hport" ]]; then
      hport="$(tr '\0' '\n' <"/proc/$cpid/environ" 2>/dev/null | sed -n 's/^METRICS_PORT=//p')" || true
    fi
    [[ -z "$port" ]] && port="$(proxy_port || true)"
    if [[ -n "$hport" && -n "$port" ]] && health_ok "$hport" \
       && grep -q 'Ctrl+C to exit' "$home/wrapper.log"; then
      break
    fi
    sleep 0.5
  done
  cat >"$envfile.tmp" <<EOF
MILVUS_ENDPOINT=127.0.0.1:$port
MILVUS_PORT=$port
MILVUS_HEALTH_PORT=$hport
MILVUS_ETCD_PORTS=${eports[0]},${eports[1]}
MILVUS_WRAPPER_PID=$wpid
MILVUS_SERVER_PID=$cpid
MILVUS_DATA=$srv
EOF
  mv "$envfile.tmp" "$envfile"
  echo "127.0.0.1:$port" >"$home/endpoint"
  say "Milvus 2.3.5 healthy in $(( SECONDS - t0 )) s on 127.0.0.1:$port (health $hport, pid $cpid)"
  cat "$envfile"
}

status() {
  [[ -f "$envfile" ]] || die "not running (no $envfile)"
  local hport; hport="$(sed -n 's/^MILVUS_HEALTH_PORT=//p' "$envfile")"
  health_ok "$hport" || die "not healthy on health port $hport"
  cat "$envfile"
}

case "$cmd" in
  up) up ;;
  down) stop; say "stopped" ;;
  status) status ;;
  pids) echo "wrapper: $(wrappers | tr '\n' ' ')"; echo "milvus: $(servers | tr '\n' ' ')" ;;
esac
