# shellcheck shell=bash
# Shared helpers for scripts/stack/up.sh and scripts/stack/down.sh.
# Sourced, not executed. Callers run with `set -euo pipefail`.
#
# Rules these helpers follow (and callers must too):
#   * processes are only ever signalled by the pid we recorded in a pid file,
#     never by name (no pkill/killall), and only after checking that the pid
#     still belongs to this stack (its command line mentions the stack dir);
#   * everything listens on 127.0.0.1 only.

STACK_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NETMON_REPO_ROOT="$(cd "$STACK_LIB_DIR/../.." && pwd)"

# Throwaway state directory (config, data, logs, pid files).
NETMON_STACK_DIR="${NETMON_STACK_DIR:-$NETMON_REPO_ROOT/.stack}"
case "$NETMON_STACK_DIR" in
  /*) ;;
  *) NETMON_STACK_DIR="$PWD/$NETMON_STACK_DIR" ;;
esac
NETMON_STACK_DIR="${NETMON_STACK_DIR%/}"

# Pinned versions / ports (ports overridable from the environment).
KAFKA_VERSION="3.9.1"
NETMON_KAFKA_PORT="${NETMON_KAFKA_PORT:-19092}"
NETMON_KAFKA_CONTROLLER_PORT="${NETMON_KAFKA_CONTROLLER_PORT:-19093}"
NETMON_INFLUX_PORT="${NETMON_INFLUX_PORT:-18086}"
NETMON_INFLUX_RPC_PORT="${NETMON_INFLUX_RPC_PORT:-18088}"
NETMON_SNMP_PORT="${NETMON_SNMP_PORT:-11161}"
# Seconds to wait for each server to answer.
NETMON_STACK_TIMEOUT="${NETMON_STACK_TIMEOUT:-90}"

KAFKA_DIR="$NETMON_STACK_DIR/kafka"
INFLUX_DIR="$NETMON_STACK_DIR/influxdb"
SNMPD_DIR="$NETMON_STACK_DIR/snmpd"
KAFKA_PID_FILE="$KAFKA_DIR/kafka.pid"
INFLUX_PID_FILE="$INFLUX_DIR/influxd.pid"
SNMPD_PID_FILE="$SNMPD_DIR/snmpd.pid"
KAFKA_LOG="$KAFKA_DIR/kafka.log"
INFLUX_LOG="$INFLUX_DIR/influxd.log"
SNMPD_LOG="$SNMPD_DIR/snmpd.log"
# Written by up.sh; down.sh --clean refuses to delete a directory without it.
STACK_MARKER=".netmon-stack"

log()  { printf '[stack] %s\n' "$*" >&2; }
warn() { printf '[stack] WARNING: %s\n' "$*" >&2; }
die()  { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# Serialise concurrent up/down runs on the same stack dir (fd 9).
stack_lock() {
  mkdir -p "$NETMON_STACK_DIR"
  exec 9>"$NETMON_STACK_DIR/.lock"
  if command -v flock >/dev/null 2>&1; then
    flock -w 300 9 || die "could not lock $NETMON_STACK_DIR/.lock (another up.sh/down.sh running?)"
  fi
}

# --- pids -------------------------------------------------------------------

# read_pid FILE -> prints the pid stored in FILE (nothing if absent/garbage)
read_pid() {
  local f=$1 pid=""
  [[ -f $f ]] || return 0
  pid="$(tr -dc '0-9' <"$f" 2>/dev/null || true)"
  [[ -n $pid ]] && printf '%s' "$pid"
  return 0
}

# pid_alive PID -> true if the process exists and is not a zombie
pid_alive() {
  local pid=$1 state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ $state != "Z" && $state != "X" ]]
}

# pid_is_ours PID MARKER -> true if PID is alive and its command line contains
# MARKER (we always use a path inside the stack dir, e.g. the config file), so
# a recycled pid is never mistaken for one of our servers.
pid_is_ours() {
  local pid=$1 marker=$2 cmdline
  pid_alive "$pid" || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ $cmdline == *"$marker"* ]]
}

# wait_exit PID SECONDS -> true once PID is gone (or a zombie), false on timeout
wait_exit() {
  local pid=$1 secs=$2 i
  for ((i = 0; i < secs * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  ! pid_alive "$pid"
}

# finish_stop NAME PID PIDFILE [GRACE_SECONDS]
# For a pid that has already been sent TERM: wait up to GRACE seconds, then
# KILL that pid; remove the pid file.
finish_stop() {
  local name=$1 pid=$2 pidfile=$3 grace=${4:-20}
  if ! wait_exit "$pid" "$grace"; then
    warn "$name: pid $pid still alive after ${grace}s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_exit "$pid" 5 || warn "$name: pid $pid did not die after KILL"
  fi
  rm -f "$pidfile"
  log "$name: stopped (pid $pid)"
}

# stop_pid NAME PIDFILE MARKER [GRACE_SECONDS]
# TERM the recorded pid, wait up to GRACE seconds, then KILL that pid.
# Removes the pid file. Does nothing if there is no (live, ours) pid.
stop_pid() {
  local name=$1 pidfile=$2 marker=$3 grace=${4:-20} pid
  pid="$(read_pid "$pidfile")"
  if [[ -z $pid ]]; then
    rm -f "$pidfile"
    return 0
  fi
  if ! pid_alive "$pid"; then
    log "$name: not running (removing stale pid file, pid $pid)"
    rm -f "$pidfile"
    return 0
  fi
  if ! pid_is_ours "$pid" "$marker"; then
    warn "$name: pid $pid from $pidfile is alive but is not this stack's $name (pid reused?); not touching it"
    rm -f "$pidfile"
    return 0
  fi
  log "$name: sending TERM to pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  finish_stop "$name" "$pid" "$pidfile" "$grace"
}

# --- ports ------------------------------------------------------------------

# port_in_use tcp|udp PORT -> true if something listens on PORT (any local
# address, IPv4 or IPv6). TCP: sockets in LISTEN state; UDP: any bound socket.
# Reads /proc/net directly, so it needs neither ss nor netstat.
port_in_use() {
  local proto=$1 port=$2 hex files=()
  hex="$(printf '%04X' "$port")"
  if [[ $proto == tcp ]]; then
    files=(/proc/net/tcp /proc/net/tcp6)
  else
    files=(/proc/net/udp /proc/net/udp6)
  fi
  awk -v p="$hex" -v proto="$proto" '
    FNR > 1 {
      n = split($2, a, ":"); lp = a[n]
      if (lp == p && (proto == "udp" || $4 == "0A")) { found = 1 }
    }
    END { exit found ? 0 : 1 }' "${files[@]}" 2>/dev/null
}

# port_owner_pid tcp|udp PORT -> pid of a process holding the socket, best
# effort (empty if unknown, e.g. another user's process).
port_owner_pid() {
  local proto=$1 port=$2 hex inodes files=() inode fd pid
  hex="$(printf '%04X' "$port")"
  if [[ $proto == tcp ]]; then files=(/proc/net/tcp /proc/net/tcp6); else files=(/proc/net/udp /proc/net/udp6); fi
  inodes="$(awk -v p="$hex" -v proto="$proto" '
    FNR > 1 { n = split($2, a, ":"); if (a[n] == p && (proto == "udp" || $4 == "0A")) print $10 }' \
    "${files[@]}" 2>/dev/null | sort -u)"
  [[ -n $inodes ]] || return 0
  for inode in $inodes; do
    fd="$(find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\\[$inode\\]" -print -quit 2>/dev/null || true)"
    if [[ -n $fd ]]; then
      pid="${fd#/proc/}"
      printf '%s' "${pid%%/*}"
      return 0
    fi
  done
  return 0
}

# port_owner tcp|udp PORT -> "pid N (cmd)" or empty
port_owner() {
  local pid
  pid="$(port_owner_pid "$1" "$2")"
  [[ -n $pid ]] || return 0
  printf 'pid %s (%s)' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-160)"
}

# require_port_free NAME tcp|udp PORT ENVVAR -> dies with a clear message if taken
require_port_free() {
  local name=$1 proto=$2 port=$3 envvar=$4 owner
  if port_in_use "$proto" "$port"; then
    owner="$(port_owner "$proto" "$port")"
    die "$name: port $port/$proto on this host is already in use${owner:+ by $owner}, and it is not a server of this stack ($NETMON_STACK_DIR). Stop that process or pick another port with $envvar=<port>."
  fi
}

# --- waiting ----------------------------------------------------------------

# show_log_tail NAME LOGFILE
show_log_tail() {
  local name=$1 logfile=$2
  if [[ -s $logfile ]]; then
    printf '[stack] ---- last 40 lines of %s (%s) ----\n' "$logfile" "$name" >&2
    tail -n 40 "$logfile" >&2 || true
    printf '[stack] ---- end of %s ----\n' "$logfile" >&2
  else
    printf '[stack] (%s log %s is empty or missing)\n' "$name" "$logfile" >&2
  fi
}

# wait_ready NAME PIDFILE LOGFILE CHECK_FUNCTION [ARGS...]
# Polls CHECK_FUNCTION until it succeeds, the process dies, or
# NETMON_STACK_TIMEOUT seconds pass. Returns non-zero (after printing the log
# tail) on failure; the caller decides what to do.
wait_ready() {
  local name=$1 pidfile=$2 logfile=$3
  shift 3
  local deadline pid
  deadline=$((SECONDS + NETMON_STACK_TIMEOUT))
  while :; do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    pid="$(read_pid "$pidfile")"
    if [[ -n $pid ]] && ! pid_alive "$pid"; then
      printf '[stack] ERROR: %s (pid %s) exited before it answered\n' "$name" "$pid" >&2
      show_log_tail "$name" "$logfile"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      printf '[stack] ERROR: %s did not answer within %ss\n' "$name" "$NETMON_STACK_TIMEOUT" >&2
      show_log_tail "$name" "$logfile"
      return 1
    fi
    sleep 0.5
  done
}

# rotate_log FILE -> keep one previous generation as FILE.1
rotate_log() {
  local f=$1
  if [[ -s $f ]]; then mv -f "$f" "$f.1"; fi
  : >"$f"
}

# --- protocol checks ----------------------------------------------------------

kafka_lib_dir() {
  printf '%s/netmon/kafka-%s/lib' "${XDG_CACHE_HOME:-$HOME/.cache}" "$KAFKA_VERSION"
}

java_bin() {
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    printf '%s' "$JAVA_HOME/bin/java"
  else
    command -v java
  fi
}

# Minimal Kafka Metadata request (api key 3, v1, all topics) over a raw TCP
# socket; succeeds only if the broker returns a metadata response that lists
# at least one broker. Takes ~50 ms with node instead of ~2 s for a JVM tool.
# shellcheck disable=SC2016
KAFKA_PROBE_JS='
const net = require("net");
const [host, port] = [process.argv[1], Number(process.argv[2])];
const cid = Buffer.from("netmon-stack-probe");
const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + cid.length + 4);
let o = 0;
o = req.writeInt32BE(req.length - 4, o);
o = req.writeInt16BE(3, o);        // api key: Metadata
o = req.writeInt16BE(1, o);        // api version 1
o = req.writeInt32BE(4242, o);     // correlation id
o = req.writeInt16BE(cid.length, o); o += cid.copy(req, o);
req.writeInt32BE(-1, o);           // topics: null = all
const fail = (m) => { console.error(m); process.exit(1); };
const sock = net.connect({ host, port }, () => sock.write(req));
sock.setTimeout(3000, () => fail("timeout"));
let buf = Buffer.alloc(0);
sock.on("error", (e) => fail(e.message));
sock.on("data", (d) => {
  buf = Buffer.concat([buf, d]);
  if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
  if (buf.readInt32BE(4) !== 4242) fail("bad correlation id");
  const n = buf.readInt32BE(8);
  let p = 12; const brokers = [];
  for (let i = 0; i < n; i++) {
    const id = buf.readInt32BE(p); p += 4;
    const hl = buf.readInt16BE(p); p += 2; const h = buf.toString("utf8", p, p + hl); p += hl;
    const bp = buf.readInt32BE(p); p += 4;
    const rl = buf.readInt16BE(p); p += 2; if (rl > 0) p += rl;
    brokers.push(id + "@" + h + ":" + bp);
  }
  const controller = buf.readInt32BE(p);
  if (n < 1) fail("no brokers in metadata yet");
  console.log("brokers=" + brokers.join(",") + " controller=" + controller);
  sock.destroy(); process.exit(0);
});
'

# kafka_ready PORT -> a metadata request to 127.0.0.1:PORT succeeds
kafka_ready() {
  local port=$1
  if command -v node >/dev/null 2>&1; then
    node -e "$KAFKA_PROBE_JS" 127.0.0.1 "$port"
  else
    local lib
    lib="$(kafka_lib_dir)"
    local out
    out="$(timeout 20 "$(java_bin)" -Xmx128m -cp "$lib/*" -Dlog4j.configuration="file:$KAFKA_DIR/log4j-tools.properties" \
      kafka.admin.BrokerApiVersionsCommand --bootstrap-server "127.0.0.1:$port" 2>/dev/null)" || return 1
    [[ $out == *"127.0.0.1:$port"* ]]
  fi
}

# influx_ready PORT -> GET /ping answers 204
influx_ready() {
  local port=$1 code
  code="$(curl -s -o /dev/null -m 3 -w '%{http_code}' "http://127.0.0.1:$port/ping" || true)"
  [[ $code == 204 ]]
}

# snmp_cmd TOOL ARGS... -> run a net-snmp client tool without loading MIB files
# (Debian ships no IETF MIBs, we only use numeric OIDs) and without touching
# the system-wide /var/lib/snmp.
snmp_cmd() {
  local tool=$1
  shift
  mkdir -p "$SNMPD_DIR/client"
  SNMP_PERSISTENT_DIR="$SNMPD_DIR/client" MIBS="" "$tool" -m "" "$@"
}

# snmpd_ready PORT COMMUNITY -> v2c GET sysUpTime.0 (1.3.6.1.2.1.1.3.0) succeeds
snmpd_ready() {
  local port=$1 community=$2
  local out
  out="$(snmp_cmd snmpget -v2c -c "$community" -r 0 -t 1 "127.0.0.1:$port" 1.3.6.1.2.1.1.3.0 2>/dev/null)" || return 1
  [[ $out == *Timeticks* ]]
}
