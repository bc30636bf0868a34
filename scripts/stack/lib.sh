# shellcheck shell=bash
# Shared helpers for scripts/stack/up.sh, down.sh and check.sh, and the list of
# the stack's servers (one script each in servers/, see "servers" below).
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

# Seconds to wait for each server to answer. (Versions, ports and their
# environment overrides are in each server's script.)
NETMON_STACK_TIMEOUT="${NETMON_STACK_TIMEOUT:-90}"

# Written by up.sh; down.sh --clean refuses to delete a directory without it.
# shellcheck disable=SC2034
STACK_MARKER=".netmon-stack"

log()  { printf '[stack] %s\n' "$*" >&2; }
warn() { printf '[stack] WARNING: %s\n' "$*" >&2; }
die()  { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# Debian packages from the system or, without root, from this user's cache
# shellcheck source=debs.sh
source "$STACK_LIB_DIR/debs.sh"

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

# --- files and processes (for the server scripts) ---------------------------

# write_if_changed FILE  (content on stdin) -> keeps mtime when nothing changed
write_if_changed() {
  local f=$1 tmp
  tmp="$(mktemp "$f.XXXXXX")"
  cat >"$tmp"
  if [[ -f $f ]] && cmp -s "$tmp" "$f"; then
    rm -f "$tmp"
  else
    chmod 644 "$tmp"
    mv -f "$tmp" "$f"
  fi
}

# render_template TEMPLATE FILE -> writes scripts/stack/templates/TEMPLATE to
# FILE (with write_if_changed), every ${VAR} replaced by the value of the shell
# variable VAR (a global or a local of the caller); an unset VAR is an error.
# Lines starting with "##" are notes for the template's reader and are left
# out. Plain bash rather than envsubst: gettext-base is not on every machine.
render_template() {
  local template=$1 file=$2 line rendered out="" var
  [[ -f $STACK_LIB_DIR/templates/$template ]] || die "template scripts/stack/templates/$template is missing"
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line == '##'* ]] && continue
    rendered=""
    while [[ $line =~ \$\{([A-Za-z_][A-Za-z0-9_]*)\} ]]; do
      var=${BASH_REMATCH[1]}
      [[ -v $var ]] || die "template $template: \${$var} is not set"
      # text before the placeholder, then the value (never rescanned)
      rendered+="${line%%"${BASH_REMATCH[0]}"*}${!var}"
      line=${line#*"${BASH_REMATCH[0]}"}
    done
    out+="$rendered$line"$'\n'
  done <"$STACK_LIB_DIR/templates/$template"
  printf '%s' "$out" | write_if_changed "$file"
}

# launch PIDFILE LOGFILE CMD... -> start CMD detached (own session, stdin from
# /dev/null, output to LOGFILE, lock fd closed) and record its pid.
launch() {
  local pidfile=$1 logfile=$2
  shift 2
  local runner=()
  command -v setsid >/dev/null 2>&1 && runner=(setsid)
  # In a non-interactive shell the background child is not a process-group
  # leader, so setsid execs in place and $! is the server's own pid.
  "${runner[@]}" "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  echo $! >"$pidfile"
}

# --- servers ----------------------------------------------------------------
#
# One script per server, servers/NAME.sh. up.sh starts them in this order
# (ensure_server NAME), down.sh stops them in reverse, check.sh tests them in
# this order. Adding a server = one script and one word here.
STACK_SERVERS=(influxdb snmpd kafka)
#
# A server script sets its defaults (ports with their NETMON_* overrides, its
# directory under $NETMON_STACK_DIR) and these entries:
#   SERVER_PID_FILE[NAME]   the pid file; down.sh stops exactly that pid
#   SERVER_LOG[NAME]        its log; the tail is shown when it fails
#   SERVER_MARKER[NAME]     a path in the stack dir that is on the server's
#                           command line, so a recycled pid is never taken for it
#   SERVER_PORTS[NAME]      "PROTO VAR LABEL" entries separated by ";" (VAR names
#                           the port's environment override, LABEL is used in
#                           messages); the first is the one a running server is
#                           found by when its pid file got lost
#   SERVER_ADDRESS[NAME]    where it listens, for up.sh's summary
# and defines these functions:
#   NAME_needs        what must be there: appends to the caller's arrays
#                     debs ("PKG PATH..." entries: a Debian package and the
#                     paths, as installed, of what we run from it; see
#                     debs.sh for where it is taken from), tools (packages
#                     root installs because their command is missing) and
#                     binaries (what a host without dpkg must already have);
#                     dies, naming the command to run, on what no user can fetch
#   NAME_configure    gets what is not a Debian package and renders its config
#                     files; every up.sh run, running or not
#   NAME_start        starts it (after the ports were found free) and records
#                     its pid in SERVER_PID_FILE[NAME]
#   NAME_ready [...]  true once it answers (arguments default to this stack's
#                     ports; check.sh passes the ones from $NETMON_STACK_DIR/env)
#   NAME_up found|started
#                     once it answers: settings to apply every run (for a
#                     server found running it must not fail), and checks after
#                     a fresh start (non-zero stops that server and fails)
#   NAME_check        check.sh's smoke test, with ok/bad and the settings of
#                     $NETMON_STACK_DIR/env
# shellcheck disable=SC2034 # filled by the server scripts, read by up/down/check
declare -A SERVER_PID_FILE=() SERVER_LOG=() SERVER_MARKER=() SERVER_PORTS=() SERVER_ADDRESS=()
for server_name in "${STACK_SERVERS[@]}"; do
  # shellcheck source=/dev/null
  source "$STACK_LIB_DIR/servers/$server_name.sh"
done
unset server_name
