#!/usr/bin/env bash
# bench-peers.sh: Meerkat against Debian's prosody and ejabberd, side by side,
# in one sitting (issue 4). Each server runs on loopback, pinned to CPU 0; mob
# runs pinned to CPU 1 with --server-pid. Results (mob --json) go to $RESULTS;
# a markdown table is printed at the end.
#
#   scripts/bench-peers.sh                # full: idle 10k, login 2k, chat to 50k/s, MUC
#   QUICK=1 scripts/bench-peers.sh        # a few minutes: idle 1k, login 500, chat to 5k/s
#   SUITES=web scripts/bench-peers.sh     # the web transports (issue 6): idle WebSocket and
#                                         # BOSH sessions, BOSH chat at rising rates
#   SUITES="tcp web" ...                  # both
#
# Sizes (env): IDLE_USERS LOGIN_USERS CHAT_USERS RATES DURATION MUC_BIG_SCALES
# MUC_MANY_SCALES ROOMS_PER_USER (seed-muc-many: rooms each session occupies, 3,
# so 2000 rooms × 25 fit 20k sockets) IDLE_SETTLE (25s: idle sessions measured
# after the login storm has settled, the same for every server) SERVERS
# ("prosody ejabberd meerkat") RESULTS P99_MS (100); web suite: WS_IDLE_USERS
# BOSH_IDLE_USERS BOSH_CHAT_USERS BOSH_RATES BOSH_P99_MS (200);
# TABLE_ONLY=1 RESULTS=dir only prints the table of an earlier run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ "${QUICK:-0}" = 1 ]; then
  : "${IDLE_USERS:=1000}" "${LOGIN_USERS:=500}" "${CHAT_USERS:=500}" "${RATES:=1000 2000 5000}"
  : "${DURATION:=5s}" "${MUC_BIG_SCALES:=0.05 0.1}" "${MUC_MANY_SCALES:=0.01 0.02}"
else
  : "${IDLE_USERS:=10000}" "${LOGIN_USERS:=2000}" "${CHAT_USERS:=1000}" "${RATES:=1000 2000 5000 10000 20000 30000 50000}"
  : "${DURATION:=10s}" "${MUC_BIG_SCALES:=0.05 0.1 0.2 0.5 1}" "${MUC_MANY_SCALES:=0.05 0.1 0.2 0.5 1}"
fi
: "${ROOMS_PER_USER:=3}" "${IDLE_SETTLE:=25s}" "${SUITES:=tcp}"
if [ "${QUICK:-0}" = 1 ]; then
  : "${WS_IDLE_USERS:=1000}" "${BOSH_IDLE_USERS:=1000}" "${BOSH_CHAT_USERS:=200}" "${BOSH_RATES:=200 500 1000}"
else
  : "${WS_IDLE_USERS:=10000}" "${BOSH_IDLE_USERS:=10000}" "${BOSH_CHAT_USERS:=1000}" "${BOSH_RATES:=500 1000 2000 3000 4000 5000}"
fi
: "${BOSH_P99_MS:=200}"
suite() { [[ " $SUITES " == *" $1 "* ]]; }
: "${SERVERS:=prosody ejabberd meerkat}" "${P99_MS:=100}"
: "${RESULTS:=$ROOT/results/bench-peers-$(date -u +%Y%m%dT%H%M%SZ)}"
PASSWORD=mob-password
mkdir -p "$RESULTS"
WORK=$(mktemp -d /tmp/bench-peers.XXXXXX); chmod 755 "$WORK"
SERVER_PGID=""
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
stop_server() {
  if [ -n "$SERVER_PGID" ]; then
    kill -TERM -- "-$SERVER_PGID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$SERVER_PGID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$SERVER_PGID" 2>/dev/null || true
    SERVER_PGID=""
  fi
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n 200000 2>/dev/null || ulimit -n 65536 2>/dev/null || true

# 1. Debian's prosody and ejabberd, without the daemons the packages start.
for pkg in prosody ejabberd; do
  if ! dpkg -s "$pkg" >/dev/null 2>&1 && [[ " $SERVERS " == *" $pkg "* ]]; then
    log "installing $pkg"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
  fi
done
# The packages may start their service; stop it (service, else its pid file).
for svc in prosody ejabberd; do
  service "$svc" stop >/dev/null 2>&1 || true
done
for pidf in /run/prosody/prosody.pid /run/ejabberd/ejabberd.pid; do
  [ -s "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null || true
done

mkdir -p "$WORK/bin"
go build -o "$WORK/bin/mob" ./cmd/mob
go build -o "$WORK/bin/meerkat" ./cmd/meerkat
MOB="$WORK/bin/mob"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fill() { sed -e "s|{{DIR}}|$2|g" -e "s|{{C2S}}|$3|g" -e "s|{{HTTP}}|${HTTP_PORT[$2]:-0}|g" -e "s|{{NODE}}|${4:-}|g" "scripts/peers/$1"; }
wait_port() { for _ in $(seq 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done; log "port $1 never opened"; return 1; }
# top pid of the server's process group (mob sums its descendants)
start_server() { # name
  local name=$1 d="$WORK/$1"
  case $name in
    prosody)
      setsid taskset -c 0 prosody -F --config "$d/prosody.cfg.lua" >"$d/stdout.log" 2>&1 & ;;
    ejabberd)
      # as root, ejabberdctl would su to "ejabberd", and su resets the open
      # files limit (PAM); setpriv keeps it (ejabberdctl then runs as is)
      local asuser=(); [ "$(id -u)" = 0 ] && asuser=(setpriv --reuid ejabberd --regid ejabberd --init-groups env HOME=/var/lib/ejabberd)
      setsid taskset -c 0 "${asuser[@]}" ejabberdctl --config-dir "$d" --ctl-config "$d/ejabberdctl.cfg" --spool "$d/spool" --logs "$d/logs" foreground >"$d/stdout.log" 2>&1 & ;;
    meerkat)
      setsid taskset -c 0 "$WORK/bin/meerkat" serve -config "$d/meerkat.toml" >"$d/stdout.log" 2>&1 & ;;
  esac
  SERVER_PGID=$!
  wait_port "${PORT[$name]}"
  sleep 1
}
declare -A PORT MECH HTTP_PORT
setup_server() { # name
  local name=$1 d="$WORK/$1" port; port=$(free_port); PORT[$name]=$port
  HTTP_PORT[$d]=$(free_port); HTTP_PORT[$name]=${HTTP_PORT[$d]}
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,DNS:conference.localhost" -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
  cat "$d/cert.pem" "$d/key.pem" >"$d/server.pem"
  case $name in
    prosody) fill prosody.cfg.lua "$d" "$port" >"$d/prosody.cfg.lua"; mkdir -p "$d/data"; MECH[$name]=SCRAM-SHA-1 ;;
    ejabberd)
      fill ejabberd.yml "$d" "$port" >"$d/ejabberd.yml"
      fill ejabberdctl.cfg "$d" "$port" "bench$port@localhost" >"$d/ejabberdctl.cfg"
      mkdir -p "$d/spool" "$d/logs" "$d/modules.d"
      if [ "$(id -u)" = 0 ]; then chown -R ejabberd: "$d"; fi
      MECH[$name]=SCRAM-SHA-1 ;;
    meerkat) fill meerkat.toml "$d" "$port" >"$d/meerkat.toml"; MECH[$name]=SCRAM-SHA-256 ;;
  esac
}
# quiesce waits (up to 90 s) until the server's processes used under 5% of a
# core for a second: the sessions of the previous scenario are torn down
# (10k unavailable presences, say) before the next one is timed.
server_ticks() { local t=0 p; for p in $(pgrep -g "$SERVER_PGID"); do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
quiesce() {
  local hz; hz=$(getconf CLK_TCK); local a b
  for _ in $(seq 90); do
    a=$(server_ticks); sleep 1; b=$(server_ticks)
    [ $((b - a)) -lt $((hz / 20 + 1)) ] && return 0
  done
  log "server still busy after 90 s"
}
mob() { # name scenario out.json args...
  local name=$1 sc=$2 out=$3; shift 3
  quiesce
  log "$name: mob $sc $*"
  taskset -c 1 "$MOB" "$sc" --addr "127.0.0.1:${PORT[$name]}" --mech "${MECH[$name]}" --password "$PASSWORD" \
    --server-pid "$SERVER_PGID" --max-time 10m --json "$@" >"$RESULTS/$name-$out.json" 2>"$RESULTS/$name-$out.err" || true
  [ -s "$RESULTS/$name-$out.json" ] || echo '{}' >"$RESULTS/$name-$out.json"
}
ok_run() { # file [bound ms]: p99 under bound, no loss, no errors, something delivered
  jq -e --argjson b "${2:-$P99_MS}" '(.traffic.received // 0) > 0 and .traffic.lost == 0 and .errors == 0 and .traffic.latency.p99_ms < $b' "$1" >/dev/null
}

for name in $SERVERS; do
  [ "${TABLE_ONLY:-0}" = 1 ] && break # only print the table of $RESULTS
  setup_server "$name"
  # provision every account the runs need, then restart for a fresh server
  big_max=$(for s in $MUC_BIG_SCALES; do echo "$s"; done | sort -g | tail -1)
  many_max=$(for s in $MUC_MANY_SCALES; do echo "$s"; done | sort -g | tail -1)
  need=$(python3 -c "import math;print(max($IDLE_USERS,$LOGIN_USERS,$CHAT_USERS,math.ceil(3000*$big_max),math.ceil(math.ceil(2000*$many_max)*25/$ROOMS_PER_USER)))")
  suite web && need=$(python3 -c "print(max($need,$WS_IDLE_USERS,$BOSH_IDLE_USERS,$BOSH_CHAT_USERS))")
  start_server "$name"
  if [ "$name" = meerkat ]; then
    taskset -c 1 "$MOB" login --addr "127.0.0.1:${PORT[$name]}" --users "$need" --provision meerkat-store \
      --meerkat-config "$WORK/meerkat/meerkat.toml" --password "$PASSWORD" --json >"$RESULTS/$name-provision.json" 2>&1 || true
  else
    taskset -c 1 "$MOB" login --addr "127.0.0.1:${PORT[$name]}" --users "$need" --provision register --concurrency 20 \
      --mech "${MECH[$name]}" --password "$PASSWORD" --max-time 20m --json >"$RESULTS/$name-provision.json" 2>&1 || true
  fi
  stop_server; start_server "$name"
  if suite web; then
    ws="ws://127.0.0.1:${HTTP_PORT[$name]}/xmpp-websocket" bosh="http://127.0.0.1:${HTTP_PORT[$name]}/http-bind"
    mob "$name" idle idle-ws --url "$ws" --users "$WS_IDLE_USERS" --ramp 500 --settle "$IDLE_SETTLE"
    # a fresh server: one whose heap the WebSocket sessions grew would hold
    # the BOSH sessions in memory it already has, and read low
    stop_server; start_server "$name"
    mob "$name" idle idle-bosh --url "$bosh" --users "$BOSH_IDLE_USERS" --ramp 500 --settle "$IDLE_SETTLE"
    stop_server; start_server "$name"
    for r in $BOSH_RATES; do
      mob "$name" chat "bosh-chat-$r" --url "$bosh" --users "$BOSH_CHAT_USERS" --ramp 500 --rate "$r" --duration "$DURATION"
      ok_run "$RESULTS/$name-bosh-chat-$r.json" "$BOSH_P99_MS" || break
    done
  fi
  if ! suite tcp; then stop_server; continue; fi
  if suite web; then stop_server; start_server "$name"; fi
  mob "$name" idle idle --users "$IDLE_USERS" --ramp 500 --settle "$IDLE_SETTLE"
  mob "$name" login login --users "$LOGIN_USERS"
  for r in $RATES; do
    mob "$name" chat "chat-$r" --users "$CHAT_USERS" --ramp 500 --rate "$r" --duration "$DURATION"
    ok_run "$RESULTS/$name-chat-$r.json" || break
  done
  for s in $MUC_BIG_SCALES; do
    mob "$name" seed-muc-big "muc-big-$s" --scale "$s" --ramp 500 --duration "$DURATION" --room-prefix "big$s-"
    ok_run "$RESULTS/$name-muc-big-$s.json" || break
  done
  for s in $MUC_MANY_SCALES; do
    mob "$name" seed-muc-many "muc-many-$s" --scale "$s" --ramp 500 --duration "$DURATION" --room-prefix "many$s-" --rooms-per-user "$ROOMS_PER_USER"
    ok_run "$RESULTS/$name-muc-many-$s.json" || break
  done
  stop_server
done

# the tables
kib() { jq -r '.server.kib_per_session // "–" | if type=="number" then (.*10|round/10) else . end' "$1" 2>/dev/null || echo –; }
if suite web; then
  {
    echo "| server | KiB/idle WebSocket session (errors) | KiB/idle BOSH session (errors) | max BOSH chat msg/s with p99 < ${BOSH_P99_MS} ms, no loss (p50 / p99 ms, HTTP requests/delivery, CPU µs/delivery) | first failing BOSH chat rate |"
    echo "| --- | --- | --- | --- | --- |"
    for name in $SERVERS; do
      iw="$(kib "$RESULTS/$name-idle-ws.json") ($(jq -r '.errors // "?"' "$RESULTS/$name-idle-ws.json" 2>/dev/null))"
      ib="$(kib "$RESULTS/$name-idle-bosh.json") ($(jq -r '.errors // "?"' "$RESULTS/$name-idle-bosh.json" 2>/dev/null))"
      best="–"; fail="none up to the last rate"
      for r in $BOSH_RATES; do
        f="$RESULTS/$name-bosh-chat-$r.json"; [ -f "$f" ] || break
        if ok_run "$f" "$BOSH_P99_MS"; then best=$(jq -r '"\(.traffic.delivered_per_second|round) (\(.traffic.latency.p50_ms|.*10|round/10) / \(.traffic.latency.p99_ms|.*10|round/10), \(.traffic.requests_per_delivery // 0|.*100|round/100), \(.server.cpu_us_per_delivery // 0|round))"' "$f")
        else fail=$(jq -r --arg r "$r" '"\($r): p99 \(.traffic.latency.p99_ms // "?"|if type=="number" then round else . end) ms, lost \(.traffic.lost // "?"), errors \(.errors // "?")"' "$f"); break; fi
      done
      echo "| $name | $iw | $ib | $best | $fail |"
    done
  } | tee "$RESULTS/table-web.md"
fi
suite tcp && {
  echo "| server | KiB/idle session | logins/s (p50 / p99 ms) | max chat msg/s with p99 < ${P99_MS} ms, no loss (p99 ms, CPU µs/delivery) | first failing chat rate (p99 ms, lost) | seed-muc-big: largest held / first failing | seed-muc-many: largest held / first failing |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for name in $SERVERS; do
    idle=$(jq -r '.server.kib_per_session // "–" | if type=="number" then (.*10|round/10) else . end' "$RESULTS/$name-idle.json")
    login=$(jq -r 'if .logins then "\(.logins.per_second|round) (\(.logins.time.p50_ms|.*10|round/10) / \(.logins.time.p99_ms|.*10|round/10))" + (if .logins.failed>0 then ", \(.logins.failed) failed" else "" end) else "–" end' "$RESULTS/$name-login.json")
    best="–"; fail="none up to the last rate"
    for r in $RATES; do
      f="$RESULTS/$name-chat-$r.json"; [ -f "$f" ] || break
      if ok_run "$f"; then best=$(jq -r '"\(.traffic.delivered_per_second|round) (\(.traffic.latency.p99_ms|.*10|round/10), \(.server.cpu_us_per_delivery // 0|.*10|round/10))"' "$f")
      else fail=$(jq -r --arg r "$r" '"\($r): p99 \(.traffic.latency.p99_ms // "?"|if type=="number" then round else . end) ms, lost \(.traffic.lost // "?"), errors \(.errors // "?")"' "$f"); break; fi
    done
    muc() { # kind
      local held="–" failed="none"
      for f in "$RESULTS/$name-muc-$1-"*.json; do
        [ -f "$f" ] || continue
        local d; d=$(jq -r '"\(.params.rooms)×\(.params.occupants) (p99 \(.traffic.latency.p99_ms // "?"|if type=="number" then (.*10|round/10) else . end) ms, \(.traffic.delivered_per_second // 0|round)/s, lost \(.traffic.lost // "?"), errors \(.errors // "?"))"' "$f")
        if ok_run "$f"; then held=$d; else failed=$d; break; fi
      done
      echo "$held / $failed"
    }
    echo "| $name | $idle | $login | $best | $fail | $(muc big) | $(muc many) |"
  done
} | tee "$RESULTS/table.md"
sat=$(for f in "$RESULTS"/*.json; do jq -r --arg f "$(basename "$f")" 'select(.mob.saturated == true) | "\($f): \((.mob.saturation // [])|join("; "))"' "$f" 2>/dev/null || true; done)
[ -n "$sat" ] && { echo; echo "mob saturated in:"; echo "$sat"; } | tee -a "$RESULTS/table.md"
echo "results: $RESULTS" >&2
