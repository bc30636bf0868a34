#!/usr/bin/env bash
# Start netmon's local dev/test stack on loopback, non-default ports:
#
#   Kafka 3.9.1 (single-node KRaft, broker+controller)  127.0.0.1:19092 (+ controller 19093)
#   InfluxDB 1.x (Debian's influxd)                     127.0.0.1:18086 (+ RPC 18088)
#   net-snmp snmpd (this host's real IF-MIB counters)   udp:127.0.0.1:11161
#
# Usage: bash scripts/stack/up.sh          (from anywhere, as any user; stop with scripts/stack/down.sh)
#
# No root needed: installed Debian packages are used as they are; missing ones are apt-get
# installed as root, and otherwise fetched with `apt-get download` and unpacked into the user's
# cache (debs.sh; NETMON_STACK_DEBS=cache always does that). Only a missing Java, or apt lists
# missing, stop the start, naming the command to run.
#
# Everything lives in <repo>/.stack/ (override: NETMON_STACK_DIR). Ports can be
# overridden with NETMON_KAFKA_PORT, NETMON_KAFKA_CONTROLLER_PORT,
# NETMON_INFLUX_PORT, NETMON_INFLUX_RPC_PORT, NETMON_SNMP_PORT; the wait per
# server with NETMON_STACK_TIMEOUT (seconds, default 90).
#
# Idempotent: a server whose pid file names a live process of this stack that
# answers is left alone ("already running"); a stale pid file is replaced by a
# fresh start; a port held by anything else is reported and we exit non-zero.
# On success it writes $NETMON_STACK_DIR/env (KEY=value lines, sourceable).
#
# Each server is a script in servers/ (what it needs, its config from
# templates/, how it starts and answers; the contract is in lib.sh), and this
# file runs the same ensure_server routine for each of them.
#
# Kafka jars come from Maven Central via scripts/kafka/pom.xml and are cached
# outside git in ${XDG_CACHE_HOME:-~/.cache}/netmon/kafka-3.9.1/lib.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"

# Debian packages the tests need besides the servers: the pcap tests run tcpdump.
STACK_TEST_DEBS=(tcpdump)

START_TS=$SECONDS
declare -A STATUS=() PIDS=()

# --- sanity -----------------------------------------------------------------------
[[ $NETMON_STACK_DIR != *[[:space:]]* ]] ||
  die "NETMON_STACK_DIR must not contain whitespace (it is written to $NETMON_STACK_DIR/env): '$NETMON_STACK_DIR'"
for name in "${STACK_SERVERS[@]}"; do
  IFS=';' read -ra entries <<<"${SERVER_PORTS[$name]}"
  for entry in "${entries[@]}"; do
    read -r _ v _ <<<"$entry"
    [[ ${!v} =~ ^[0-9]+$ ]] && ((${!v} > 0 && ${!v} < 65536)) || die "$v must be a port number, got '${!v}'"
  done
done
if [[ $NETMON_KAFKA_PORT == "$NETMON_KAFKA_CONTROLLER_PORT" || $NETMON_INFLUX_PORT == "$NETMON_INFLUX_RPC_PORT" ]]; then
  die "Kafka broker/controller ports and InfluxDB HTTP/RPC ports must differ"
fi

# --- Debian packages ------------------------------------------------------------------

# A root-only install: apt-get update + install PKGS (as today; as root only).
apt_install() {
  log "installing missing Debian packages: $*"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

# Every server's needs (NAME_needs fills the arrays): a package that is
# installed is used as it is; as root (NETMON_STACK_DEBS=auto) the missing
# ones are installed with one apt-get run; otherwise each is fetched into this
# user's cache (debs.sh). The test-only tools (STACK_TEST_DEBS) are installed
# as root and only named otherwise.
ensure_packages() {
  local debs=() tools=() binaries=() install=() fetch=() test_missing=() entry pkg b
  debs_check_mode
  for name in "${STACK_SERVERS[@]}"; do "${name}_needs"; done
  if ! command -v dpkg-query >/dev/null 2>&1; then
    # Not Debian: we cannot fetch; just insist on the binaries.
    for b in "${binaries[@]}"; do
      command -v "$b" >/dev/null 2>&1 || die "$b not found and this is not a Debian system (no dpkg); install influxdb 1.x and net-snmp yourself"
    done
    return 0
  fi
  for entry in ${debs[@]+"${debs[@]}"}; do
    read -r pkg _ <<<"$entry"
    if [[ "$(deb_source "$pkg")" == system ]]; then continue; fi
    if ((EUID == 0)) && [[ $NETMON_STACK_DEBS == auto ]]; then install+=("$pkg"); else fetch+=("$entry"); fi
  done
  for pkg in "${STACK_TEST_DEBS[@]}"; do
    dpkg_installed "$pkg" || test_missing+=("$pkg")
  done
  if ((EUID == 0)); then
    install+=(${tools[@]+"${tools[@]}"})
    [[ $NETMON_STACK_DEBS == auto ]] && install+=(${test_missing[@]+"${test_missing[@]}"})
  elif ((${#test_missing[@]})); then
    log "not installed: ${test_missing[*]} (the pcap tests need it, and root to capture: sudo apt-get install ${test_missing[*]})"
  fi
  ((${#install[@]} == 0)) || apt_install "${install[@]}"
  for entry in ${fetch[@]+"${fetch[@]}"}; do
    # shellcheck disable=SC2086 # "PKG PATH..." split on purpose
    deb_fetch $entry
  done
}

# --- one server -------------------------------------------------------------------

# discard_stale_pid NAME PIDFILE PID -> explain and remove a pid file that
# does not name a live server of this stack
discard_stale_pid() {
  local name=$1 pidfile=$2 pid=$3
  if [[ -n $pid ]]; then
    if pid_alive "$pid"; then
      log "$name: pid file names pid $pid, which is not this stack's $name (pid reused?); ignoring it"
    else
      log "$name: removing stale pid file (pid $pid is gone)"
    fi
  fi
  rm -f "$pidfile"
}

# adopt_pid NAME PIDFILE MARKER PROTO PORT -> if PORT is held by a server of
# this stack whose pid file got lost, record its pid again and print it.
adopt_pid() {
  local name=$1 pidfile=$2 marker=$3 proto=$4 port=$5 pid
  pid="$(port_owner_pid "$proto" "$port")"
  if [[ -n $pid ]] && pid_is_ours "$pid" "$marker"; then
    log "$name: pid $pid already serves port $port for this stack but was not in $pidfile; adopting it"
    echo "$pid" >"$pidfile"
    printf '%s' "$pid"
  fi
  return 0
}

# abort_start NAME PIDFILE MARKER -> stop the server we just started, then die
abort_start() {
  local name=$1 pidfile=$2 marker=$3
  stop_pid "$name" "$pidfile" "$marker" 10 || true
  die "$name failed to start (see above); other servers were left as they are - stop them with scripts/stack/down.sh"
}

# ensure_server NAME -> configure NAME, then leave it running if it already
# is (and answers), else start it on free ports and wait until it answers.
# Sets STATUS[NAME] and PIDS[NAME].
ensure_server() {
  local name=$1
  local pidfile=${SERVER_PID_FILE[$name]} logfile=${SERVER_LOG[$name]} marker=${SERVER_MARKER[$name]}
  local ports=() entry proto var label pid
  IFS=';' read -ra ports <<<"${SERVER_PORTS[$name]}"
  "${name}_configure"

  pid="$(read_pid "$pidfile")"
  if [[ -z $pid ]] || ! pid_is_ours "$pid" "$marker"; then
    discard_stale_pid "$name" "$pidfile" "$pid"
    read -r proto var _ <<<"${ports[0]}"
    pid="$(adopt_pid "$name" "$pidfile" "$marker" "$proto" "${!var}")"
  fi
  if [[ -n $pid ]]; then
    if ! "${name}_ready" >/dev/null 2>&1; then
      log "$name: pid $pid is alive but not answering yet, waiting"
      wait_ready "$name" "$pidfile" "$logfile" "${name}_ready" ||
        abort_start "$name" "$pidfile" "$marker"
    fi
    "${name}_up" found
    STATUS[$name]="already running"
    PIDS[$name]=$pid
    return 0
  fi
  for entry in "${ports[@]}"; do
    read -r proto var label <<<"$entry"
    require_port_free "$label" "$proto" "${!var}" "$var"
  done

  rotate_log "$logfile"
  "${name}_start"
  wait_ready "$name" "$pidfile" "$logfile" "${name}_ready" ||
    abort_start "$name" "$pidfile" "$marker"
  "${name}_up" started || abort_start "$name" "$pidfile" "$marker"
  STATUS[$name]="started"
  PIDS[$name]="$(read_pid "$pidfile")"
}

# --- main -------------------------------------------------------------------------

ensure_packages
stack_lock
touch "$NETMON_STACK_DIR/$STACK_MARKER"

for name in "${STACK_SERVERS[@]}"; do
  ensure_server "$name"
done

render_template env "$NETMON_STACK_DIR/env"

{
  printf '\n%-9s %-36s %-8s %-16s %s\n' SERVER ADDRESS PID STATUS LOG
  for name in "${STACK_SERVERS[@]}"; do
    printf '%-9s %-36s %-8s %-16s %s\n' "$name" "${SERVER_ADDRESS[$name]}" "${PIDS[$name]}" "${STATUS[$name]}" "${SERVER_LOG[$name]}"
  done
  printf '\nenv: %s   (stack up in %ss; stop: bash scripts/stack/down.sh)\n' "$NETMON_STACK_DIR/env" "$((SECONDS - START_TS))"
}
