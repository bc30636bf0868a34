#!/usr/bin/env bash
# Stop netmon's local stack started by scripts/stack/up.sh.
#
# Usage: bash scripts/stack/down.sh [--clean]
#
# Stops exactly the processes whose pids are in the stack's pid files
# (kafka/kafka.pid, influxdb/influxd.pid, snmpd/snmpd.pid under
# $NETMON_STACK_DIR, default <repo>/.stack): TERM, wait up to 20 s, then KILL
# that pid. Never matches processes by name. A pid that is alive but no longer
# belongs to this stack (its command line does not mention the stack dir,
# i.e. the pid was recycled) is left alone. Pid files are removed; data is
# kept unless --clean is given, which removes the whole stack directory.
# Nothing running is fine.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"

clean=0
for arg in "$@"; do
  case "$arg" in
    --clean) clean=1 ;;
    -h | --help)
      sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument: $arg (usage: down.sh [--clean])" ;;
  esac
done

if [[ ! -d $NETMON_STACK_DIR ]]; then
  log "nothing to do: $NETMON_STACK_DIR does not exist"
  exit 0
fi

stack_lock

# Send TERM to all first so they shut down in parallel (in reverse start
# order), then wait for each (up to 20 s), KILLing a pid that is still alive
# after that. The marker is a path on our server's command line.
declare -a to_wait=()
for ((i = ${#STACK_SERVERS[@]} - 1; i >= 0; i--)); do
  name=${STACK_SERVERS[i]}
  pidfile=${SERVER_PID_FILE[$name]}
  marker=${SERVER_MARKER[$name]}
  pid="$(read_pid "$pidfile")"
  if [[ -z $pid ]]; then
    rm -f "$pidfile"
    continue
  fi
  if ! pid_alive "$pid"; then
    log "$name: not running (removing stale pid file, pid $pid)"
    rm -f "$pidfile"
    continue
  fi
  if ! pid_is_ours "$pid" "$marker"; then
    warn "$name: pid $pid from $pidfile is alive but is not this stack's $name (pid reused?); not touching it"
    rm -f "$pidfile"
    continue
  fi
  log "$name: sending TERM to pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  to_wait+=("$name|$pid|$pidfile")
done

for entry in ${to_wait[@]+"${to_wait[@]}"}; do
  IFS='|' read -r name pid pidfile <<<"$entry"
  finish_stop "$name" "$pid" "$pidfile" 20
done
((${#to_wait[@]})) || log "no stack server was running"

if ((clean)); then
  if [[ -f $NETMON_STACK_DIR/$STACK_MARKER ]]; then
    exec 9>&-
    rm -rf -- "$NETMON_STACK_DIR"
    log "removed $NETMON_STACK_DIR"
  else
    die "--clean: $NETMON_STACK_DIR has no $STACK_MARKER marker, refusing to delete it"
  fi
else
  log "stack stopped (data kept in $NETMON_STACK_DIR; use --clean to remove it)"
fi
