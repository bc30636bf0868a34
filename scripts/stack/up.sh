#!/usr/bin/env bash
# Start netmon's local dev/test stack on loopback, non-default ports:
#
#   Kafka 3.9.1 (single-node KRaft, broker+controller)  127.0.0.1:19092 (+ controller 19093)
#   InfluxDB 1.x (Debian /usr/bin/influxd)              127.0.0.1:18086 (+ RPC 18088)
#   net-snmp snmpd (this host's real IF-MIB counters)   udp:127.0.0.1:11161
#
# Usage: bash scripts/stack/up.sh          (from anywhere; stop with scripts/stack/down.sh)
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
# Kafka jars come from Maven Central via scripts/kafka/pom.xml and are cached
# outside git in ${XDG_CACHE_HOME:-~/.cache}/netmon/kafka-3.9.1/lib.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"

# --- fixed SNMP credentials of the dev agent -----------------------------------
SNMP_COMMUNITY="netmon-ro"
SNMP_V3_USER="netmon"
SNMP_V3_AUTH_KEY="netmon-auth-pass"
SNMP_V3_PRIV_KEY="netmon-priv-pass"
SNMP_V3_PRIV_PROTOCOL="aes" # AES-128 (CFB), the only AES net-snmp's createUser offers
# NET-SNMP-AGENT-MIB::nsCacheTimeout for the IF-MIB ifTable cache (which
# ifXTable shares), indexed by the cache's root OID 1.3.6.1.2.1.2.2.
NS_CACHE_TIMEOUT_IFTABLE_OID="1.3.6.1.4.1.8072.1.5.3.1.2.1.3.6.1.2.1.2.2"

START_TS=$SECONDS
declare -A STATUS=() PIDS=()

# --- sanity -----------------------------------------------------------------------
[[ $NETMON_STACK_DIR != *[[:space:]]* ]] ||
  die "NETMON_STACK_DIR must not contain whitespace (it is written to $NETMON_STACK_DIR/env): '$NETMON_STACK_DIR'"
for v in NETMON_KAFKA_PORT NETMON_KAFKA_CONTROLLER_PORT NETMON_INFLUX_PORT NETMON_INFLUX_RPC_PORT NETMON_SNMP_PORT; do
  [[ ${!v} =~ ^[0-9]+$ ]] && ((${!v} > 0 && ${!v} < 65536)) || die "$v must be a port number, got '${!v}'"
done
if [[ $NETMON_KAFKA_PORT == "$NETMON_KAFKA_CONTROLLER_PORT" || $NETMON_INFLUX_PORT == "$NETMON_INFLUX_RPC_PORT" ]]; then
  die "Kafka broker/controller ports and InfluxDB HTTP/RPC ports must differ"
fi

# --- Debian packages ------------------------------------------------------------------

dpkg_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

kafka_jars_complete() {
  local lib marker
  lib="$(kafka_lib_dir)"
  marker="$lib/.netmon-complete"
  [[ -f $marker && "$(cat "$marker")" == "$(sha256sum "$NETMON_REPO_ROOT/scripts/kafka/pom.xml" | cut -d' ' -f1)" ]]
}

ensure_packages() {
  local missing=() extra=() pkg
  if ! command -v dpkg-query >/dev/null 2>&1; then
    # Not Debian: we cannot install; just insist on the binaries.
    for b in /usr/bin/influxd /usr/sbin/snmpd snmpget snmpset curl; do
      command -v "$b" >/dev/null 2>&1 || die "$b not found and this is not a Debian system (no dpkg); install influxdb 1.x and net-snmp yourself"
    done
    return 0
  fi
  for pkg in influxdb snmpd snmp tcpdump; do
    dpkg_installed "$pkg" || missing+=("$pkg")
  done
  command -v curl >/dev/null 2>&1 || extra+=(curl)
  [[ -n "$(java_bin 2>/dev/null || true)" ]] || extra+=(openjdk-17-jre-headless)
  if ! command -v mvn >/dev/null 2>&1 && ! kafka_jars_complete; then extra+=(maven); fi
  ((${#missing[@]} + ${#extra[@]} > 0)) || return 0

  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 || die "missing packages (${missing[*]-} ${extra[*]-}) and not root (no sudo) - cannot apt-get install"
    sudo=(sudo -n)
  fi
  local all=(${missing[@]+"${missing[@]}"} ${extra[@]+"${extra[@]}"})
  log "installing missing Debian packages: ${all[*]}"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y influxdb snmpd snmp tcpdump "${extra[@]}"
}

# --- helpers ----------------------------------------------------------------------

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

# --- Kafka ------------------------------------------------------------------------

ensure_kafka_jars() {
  local lib cache tmp pom hash
  lib="$(kafka_lib_dir)"
  cache="$(dirname "$lib")"
  pom="$NETMON_REPO_ROOT/scripts/kafka/pom.xml"
  kafka_jars_complete && return 0
  mkdir -p "$cache"
  (
    exec 8>"$cache/.lock"
    command -v flock >/dev/null 2>&1 && flock -w 600 8
    kafka_jars_complete && exit 0
    command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch the Kafka jars)"
    hash="$(sha256sum "$pom" | cut -d' ' -f1)"
    tmp="$cache/lib.tmp.$$"
    rm -rf "$tmp"
    log "kafka: resolving Kafka $KAFKA_VERSION jars from Maven Central into $lib (one-time)"
    if ! mvn -q -B -f "$pom" dependency:copy-dependencies \
      -DoutputDirectory="$tmp" -DincludeScope=runtime >"$cache/maven.log" 2>&1 </dev/null 9>&- 8>&-; then
      rm -rf "$tmp"
      cat "$cache/maven.log" >&2
      die "kafka: maven could not resolve the Kafka jars (output above, also in $cache/maven.log)"
    fi
    [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || { rm -rf "$tmp"; die "kafka: kafka_2.13-$KAFKA_VERSION.jar missing after maven copy"; }
    printf '%s\n' "$hash" >"$tmp/.netmon-complete"
    rm -rf "$lib"
    mv "$tmp" "$lib"
  )
}

write_kafka_config() {
  mkdir -p "$KAFKA_DIR/data"
  write_if_changed "$KAFKA_DIR/server.properties" <<EOF
# Generated by scripts/stack/up.sh - single-node KRaft dev broker. Edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$NETMON_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$NETMON_KAFKA_PORT,CONTROLLER://127.0.0.1:$NETMON_KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$NETMON_KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
# single node: every replication factor / ISR is 1
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
# small machine: modest thread pools
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=104857600
log.retention.check.interval.ms=300000
EOF
  write_if_changed "$KAFKA_DIR/log4j.properties" <<'EOF'
# Generated by scripts/stack/up.sh (reload4j / log4j 1.x syntax). stdout goes to kafka.log.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
EOF
  write_if_changed "$KAFKA_DIR/log4j-tools.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
EOF
}

start_kafka() {
  local name=kafka marker="$KAFKA_DIR/server.properties" pid lib java
  ensure_kafka_jars
  write_kafka_config
  lib="$(kafka_lib_dir)"
  java="$(java_bin)" || die "java not found"

  pid="$(read_pid "$KAFKA_PID_FILE")"
  if [[ -z $pid ]] || ! pid_is_ours "$pid" "$marker"; then
    discard_stale_pid kafka "$KAFKA_PID_FILE" "$pid"
    pid="$(adopt_pid kafka "$KAFKA_PID_FILE" "$marker" tcp "$NETMON_KAFKA_PORT")"
  fi
  if [[ -n $pid ]]; then
    if kafka_ready "$NETMON_KAFKA_PORT" >/dev/null 2>&1; then
      STATUS[kafka]="already running"
    else
      log "kafka: pid $pid is alive but not answering yet, waiting"
      wait_ready "$name" "$KAFKA_PID_FILE" "$KAFKA_LOG" kafka_ready "$NETMON_KAFKA_PORT" ||
        abort_start "$name" "$KAFKA_PID_FILE" "$marker"
      STATUS[kafka]="already running"
    fi
    PIDS[kafka]=$pid
    return 0
  fi
  require_port_free kafka tcp "$NETMON_KAFKA_PORT" NETMON_KAFKA_PORT
  require_port_free "kafka controller" tcp "$NETMON_KAFKA_CONTROLLER_PORT" NETMON_KAFKA_CONTROLLER_PORT

  rotate_log "$KAFKA_LOG"
  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    # Any 16-byte value in URL-safe base64 without padding (22 chars) is a
    # valid Kafka Uuid; this saves a JVM start for `StorageTool random-uuid`.
    local cluster_id
    # Like Uuid.randomUuid(), avoid a leading "-" (would look like a CLI option).
    cluster_id="-"
    while [[ $cluster_id == -* ]]; do
      cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    done
    log "kafka: formatting KRaft storage (cluster id $cluster_id)"
    if ! "$java" -Xmx256m -cp "$lib/*" -Dlog4j.configuration="file:$KAFKA_DIR/log4j-tools.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
      >>"$KAFKA_LOG" 2>&1 </dev/null 9>&-; then
      show_log_tail kafka "$KAFKA_LOG"
      die "kafka: StorageTool format failed"
    fi
    printf '%s\n' "$cluster_id" >"$KAFKA_DIR/cluster.id"
  fi

  log "kafka: starting"
  launch "$KAFKA_PID_FILE" "$KAFKA_LOG" \
    "$java" -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Dkafka.logs.dir="$KAFKA_DIR" \
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
    -cp "$lib/*" kafka.Kafka "$KAFKA_DIR/server.properties"
  wait_ready "$name" "$KAFKA_PID_FILE" "$KAFKA_LOG" kafka_ready "$NETMON_KAFKA_PORT" ||
    abort_start "$name" "$KAFKA_PID_FILE" "$marker"
  STATUS[kafka]="started"
  PIDS[kafka]="$(read_pid "$KAFKA_PID_FILE")"
}

# --- InfluxDB ---------------------------------------------------------------------

write_influx_config() {
  mkdir -p "$INFLUX_DIR/meta" "$INFLUX_DIR/data" "$INFLUX_DIR/wal"
  write_if_changed "$INFLUX_DIR/influxdb.conf" <<EOF
# Generated by scripts/stack/up.sh - InfluxDB 1.x dev instance. Edits are overwritten.
# Upstream spells the switch reporting-disabled, Debian's build reporting-enabled;
# both are set (unknown keys are ignored).
reporting-disabled = true
reporting-enabled = false
# RPC service used for backup/restore
bind-address = "127.0.0.1:$NETMON_INFLUX_RPC_PORT"

[meta]
  dir = "$INFLUX_DIR/meta"
  retention-autocreate = true
  logging-enabled = true

[data]
  dir = "$INFLUX_DIR/data"
  wal-dir = "$INFLUX_DIR/wal"
  index-version = "inmem"
  query-log-enabled = false
  # netmon writes ~26 fields per window point in bursts: with the default 25 MB cache snapshots
  # InfluxDB spent about half its CPU on snapshots and compactions (docs/storage.md, "Tuning").
  cache-snapshot-memory-size = "512m"
  cache-snapshot-write-cold-duration = "1h"

[monitor]
  # no _internal database
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:$NETMON_INFLUX_PORT"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false
  unix-socket-enabled = false

[ifql]
  enabled = false
  bind-address = "127.0.0.1:0"

[logging]
  level = "info"
  suppress-logo = true

[continuous_queries]
  enabled = true
  log-enabled = false
EOF
}

start_influx() {
  local name=influxdb marker="$INFLUX_DIR/influxdb.conf" pid
  write_influx_config
  pid="$(read_pid "$INFLUX_PID_FILE")"
  if [[ -z $pid ]] || ! pid_is_ours "$pid" "$marker"; then
    discard_stale_pid influxdb "$INFLUX_PID_FILE" "$pid"
    pid="$(adopt_pid influxdb "$INFLUX_PID_FILE" "$marker" tcp "$NETMON_INFLUX_PORT")"
  fi
  if [[ -n $pid ]]; then
    if ! influx_ready "$NETMON_INFLUX_PORT"; then
      log "influxdb: pid $pid is alive but not answering yet, waiting"
      wait_ready "$name" "$INFLUX_PID_FILE" "$INFLUX_LOG" influx_ready "$NETMON_INFLUX_PORT" ||
        abort_start "$name" "$INFLUX_PID_FILE" "$marker"
    fi
    STATUS[influxdb]="already running"
    PIDS[influxdb]=$pid
    return 0
  fi
  require_port_free influxdb tcp "$NETMON_INFLUX_PORT" NETMON_INFLUX_PORT
  require_port_free "influxdb rpc" tcp "$NETMON_INFLUX_RPC_PORT" NETMON_INFLUX_RPC_PORT

  rotate_log "$INFLUX_LOG"
  log "influxdb: starting"
  launch "$INFLUX_PID_FILE" "$INFLUX_LOG" /usr/bin/influxd run -config "$INFLUX_DIR/influxdb.conf"
  wait_ready "$name" "$INFLUX_PID_FILE" "$INFLUX_LOG" influx_ready "$NETMON_INFLUX_PORT" ||
    abort_start "$name" "$INFLUX_PID_FILE" "$marker"
  STATUS[influxdb]="started"
  PIDS[influxdb]="$(read_pid "$INFLUX_PID_FILE")"
}

# --- snmpd ------------------------------------------------------------------------
#
# Interface-counter freshness (what we found in net-snmp 5.9.3, Debian 12):
#
#  * IF-MIB ifTable *and* ifXTable (ifHCInOctets...) are served from ONE agent
#    cache, registered under the ifTable OID 1.3.6.1.2.1.2.2. It is filled from
#    /proc/net/dev. Its timeout is compiled in (IFTABLE_CACHE_TIMEOUT = 3 s in
#    this build; nsCacheTable shows 3) with NETSNMP_CACHE_AUTO_RELOAD: a 3 s
#    repeating timer reloads it, and a request only reloads it if it is older
#    than the timeout. Measured with a steady ~6.7 MB/s on lo: the value
#    returned by ifHCInOctets.1 lagged /proc/net/dev by a sawtooth of
#    0 .. 3 s (i.e. per-second deltas come out as 0 or 3x).
#  * There is no snmpd.conf directive and no snmpd command-line option for a
#    per-cache timeout (nsCacheDefaultTimeout / NETSNMP_DS_AGENT_CACHE_TIMEOUT
#    only applies to caches created with timeout 0, which ifTable is not;
#    "-C"/nsCacheEnabled=false would not help either: with caching disabled
#    the MFD ifTable is then only refreshed by the 3 s timer).
#  * What works: NET-SNMP-AGENT-MIB::nsCacheTimeout.<ifTable OID> is writable
#    at run time. Setting it to 0 makes every GET/GETNEXT/GETBULK PDU reload
#    the interface table (once per PDU, so all varbinds in one PDU come from
#    one consistent /proc/net/dev snapshot). The agent also copies the value
#    into the auto-reload timer; a 0-second repeating timer is rejected and
#    unregistered by snmp_alarm, so there is no busy loop (measured: ~0 CPU
#    when idle). Measured after the change: SNMP value == /proc/net/dev value
#    read around the request (lag <= ~5 ms, i.e. within the measurement
#    window). Setting 1 instead gives a 0 .. 1 s sawtooth.
#  * The setting is not persistent (lost on snmpd restart), so up.sh applies
#    it with snmpset through a loopback-only write community that can see and
#    write nothing but the nsCache subtree (random string in
#    .stack/snmpd/cache-admin.community), every time it starts snmpd and
#    re-checks it when snmpd is already running.
#
# Other details:
#  * "-C -c <our conf>,<persistent conf>": ignore /etc/snmp/* but read back the
#    agent's own persistent file so the engineID / engineBoots survive
#    restarts (with -C alone the persistent file is written but never read,
#    giving a new SNMPv3 engineID every start). usmUser lines are stripped
#    from the persistent file before each start, so the createUser line in our
#    config is always what defines the v3 user.
#  * "-I -smux,mteTrigger,mteTriggerConf" as Debian's unit does: otherwise the
#    SMUX module listens on TCP 0.0.0.0:199.
#  * Debian ships no IETF MIB files (IF-MIB etc. are in the non-free
#    snmp-mibs-downloader), so names like IF-MIB::ifHCInOctets do not resolve
#    in the net-snmp CLI tools; use numeric OIDs (1.3.6.1.2.1.31.1.1.1.6.1).

snmp_auth_protocol() {
  # createUser in this snmpd supports SHA-256? (net-snmp >= 5.8 built with it)
  local help
  help="$(SNMP_PERSISTENT_DIR="$SNMPD_DIR/client" /usr/sbin/snmpd -H 2>&1 || true)"
  if [[ "$(grep -i '^ *createUser' <<<"$help" || true)" == *SHA-256* ]]; then
    echo sha256
  else
    echo sha
  fi
}

snmp_v3_ready() {
  local port=$1 auth=$2
  local out
  out="$(snmp_cmd snmpget -v3 -l authPriv -u "$SNMP_V3_USER" -a "$auth" -A "$SNMP_V3_AUTH_KEY" \
    -x AES -X "$SNMP_V3_PRIV_KEY" -r 1 -t 2 "127.0.0.1:$port" 1.3.6.1.2.1.1.3.0 2>&1)" || return 1
  [[ $out == *Timeticks* ]]
}

snmp_cache_admin_community() {
  local f="$SNMPD_DIR/cache-admin.community"
  if [[ ! -s $f ]]; then
    (umask 077 && printf 'netmon-cache-%s\n' "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$f")
  fi
  tr -d '\n' <"$f"
}

# make the interface cache reload on every request (see notes above)
snmp_tune_iftable_cache() {
  local port=$1 admin cur
  admin="$(snmp_cache_admin_community)"
  cur="$(snmp_cmd snmpget -v2c -c "$admin" -Oqv -r 1 -t 2 "127.0.0.1:$port" "$NS_CACHE_TIMEOUT_IFTABLE_OID" 2>/dev/null || true)"
  if [[ $cur != 0 ]]; then
    snmp_cmd snmpset -v2c -c "$admin" -Oqv -r 1 -t 2 "127.0.0.1:$port" "$NS_CACHE_TIMEOUT_IFTABLE_OID" i 0 >/dev/null ||
      return 1
    cur="$(snmp_cmd snmpget -v2c -c "$admin" -Oqv -r 1 -t 2 "127.0.0.1:$port" "$NS_CACHE_TIMEOUT_IFTABLE_OID" 2>/dev/null || true)"
  fi
  [[ $cur == 0 ]]
}

write_snmpd_config() {
  local auth_proto=$1 admin createuser_auth
  mkdir -p "$SNMPD_DIR/persist" "$SNMPD_DIR/client"
  admin="$(snmp_cache_admin_community)"
  [[ $auth_proto == sha256 ]] && createuser_auth="SHA-256" || createuser_auth="SHA"
  write_if_changed "$SNMPD_DIR/snmpd.conf" <<EOF
# Generated by scripts/stack/up.sh - net-snmp dev agent. Edits are overwritten.
# Started as: snmpd -C -c <this file>,persist/snmpd.conf (system config ignored).
[snmp] persistentDir $SNMPD_DIR/persist
# do not load MIB files in the agent (Debian has no IETF MIBs; avoids log noise)
[snmp] mibs :
dontLogTCPWrappersConnects yes

agentAddress udp:127.0.0.1:$NETMON_SNMP_PORT

sysLocation netmon local stack
sysContact netmon developers
sysServices 72

# everything, read-only: SNMPv2c community and SNMPv3 authPriv user
view netmonAll included .1
rocommunity $SNMP_COMMUNITY 127.0.0.1 -V netmonAll
createUser $SNMP_V3_USER $createuser_auth $SNMP_V3_AUTH_KEY AES $SNMP_V3_PRIV_KEY
rouser $SNMP_V3_USER authpriv -V netmonAll

# up.sh only: write access limited to NET-SNMP-AGENT-MIB::nsCache, used to
# set the ifTable cache timeout to 0 (fresh counters on every request)
rwcommunity $admin 127.0.0.1 .1.3.6.1.4.1.8072.1.5
EOF
}

start_snmpd() {
  local name=snmpd marker="$SNMPD_DIR/snmpd.conf" pid auth_proto i
  mkdir -p "$SNMPD_DIR/client"
  auth_proto="$(snmp_auth_protocol)"
  SNMP_V3_AUTH_PROTOCOL=$auth_proto
  local auth_cli
  [[ $auth_proto == sha256 ]] && auth_cli="SHA-256" || auth_cli="SHA"
  write_snmpd_config "$auth_proto"

  pid="$(read_pid "$SNMPD_PID_FILE")"
  if [[ -z $pid ]] || ! pid_is_ours "$pid" "$marker"; then
    discard_stale_pid snmpd "$SNMPD_PID_FILE" "$pid"
    pid="$(adopt_pid snmpd "$SNMPD_PID_FILE" "$marker" udp "$NETMON_SNMP_PORT")"
  fi
  if [[ -n $pid ]]; then
    if ! snmpd_ready "$NETMON_SNMP_PORT" "$SNMP_COMMUNITY"; then
      log "snmpd: pid $pid is alive but not answering yet, waiting"
      wait_ready "$name" "$SNMPD_PID_FILE" "$SNMPD_LOG" snmpd_ready "$NETMON_SNMP_PORT" "$SNMP_COMMUNITY" ||
        abort_start "$name" "$SNMPD_PID_FILE" "$marker"
    fi
    snmp_tune_iftable_cache "$NETMON_SNMP_PORT" || warn "snmpd: could not set nsCacheTimeout for ifTable to 0 (counters may be up to 3 s stale)"
    STATUS[snmpd]="already running"
    PIDS[snmpd]=$pid
    return 0
  fi
  require_port_free snmpd udp "$NETMON_SNMP_PORT" NETMON_SNMP_PORT

  # config (createUser) is authoritative for the v3 user; keep engineID/boots
  touch "$SNMPD_DIR/persist/snmpd.conf"
  sed -i '/^usmUser /d' "$SNMPD_DIR/persist/snmpd.conf"
  rotate_log "$SNMPD_LOG"
  log "snmpd: starting"
  # snmpd daemonizes itself and writes its own pid file (-p).
  if ! SNMP_PERSISTENT_DIR="$SNMPD_DIR/persist" /usr/sbin/snmpd \
    -C -c "$SNMPD_DIR/snmpd.conf,$SNMPD_DIR/persist/snmpd.conf" \
    -I -smux,mteTrigger,mteTriggerConf \
    -p "$SNMPD_PID_FILE" -Lf "$SNMPD_LOG" \
    </dev/null >>"$SNMPD_LOG" 2>&1 9>&-; then
    show_log_tail snmpd "$SNMPD_LOG"
    die "snmpd: failed to start"
  fi
  for ((i = 0; i < 100; i++)); do
    [[ -n "$(read_pid "$SNMPD_PID_FILE")" ]] && break
    sleep 0.1
  done
  [[ -n "$(read_pid "$SNMPD_PID_FILE")" ]] || { show_log_tail snmpd "$SNMPD_LOG"; die "snmpd: no pid file $SNMPD_PID_FILE after start"; }
  wait_ready "$name" "$SNMPD_PID_FILE" "$SNMPD_LOG" snmpd_ready "$NETMON_SNMP_PORT" "$SNMP_COMMUNITY" ||
    abort_start "$name" "$SNMPD_PID_FILE" "$marker"
  if ! snmp_v3_ready "$NETMON_SNMP_PORT" "$auth_cli"; then
    printf '[stack] ERROR: snmpd answers v2c but not SNMPv3 authPriv (%s/AES) for user %s\n' "$auth_cli" "$SNMP_V3_USER" >&2
    show_log_tail snmpd "$SNMPD_LOG"
    abort_start "$name" "$SNMPD_PID_FILE" "$marker"
  fi
  snmp_tune_iftable_cache "$NETMON_SNMP_PORT" || warn "snmpd: could not set nsCacheTimeout for ifTable to 0 (counters may be up to 3 s stale)"
  STATUS[snmpd]="started"
  PIDS[snmpd]="$(read_pid "$SNMPD_PID_FILE")"
}

# --- main -------------------------------------------------------------------------

ensure_packages
stack_lock
touch "$NETMON_STACK_DIR/$STACK_MARKER"
mkdir -p "$KAFKA_DIR" "$INFLUX_DIR" "$SNMPD_DIR"

start_influx
start_snmpd
start_kafka

write_if_changed "$NETMON_STACK_DIR/env" <<EOF
NETMON_STACK_DIR=$NETMON_STACK_DIR
NETMON_KAFKA_BROKERS=127.0.0.1:$NETMON_KAFKA_PORT
NETMON_INFLUX_URL=http://127.0.0.1:$NETMON_INFLUX_PORT
NETMON_SNMP_HOST=127.0.0.1
NETMON_SNMP_PORT=$NETMON_SNMP_PORT
NETMON_SNMP_COMMUNITY=$SNMP_COMMUNITY
NETMON_SNMP_V3_USER=$SNMP_V3_USER
NETMON_SNMP_V3_AUTH_PROTOCOL=$SNMP_V3_AUTH_PROTOCOL
NETMON_SNMP_V3_AUTH_KEY=$SNMP_V3_AUTH_KEY
NETMON_SNMP_V3_PRIV_PROTOCOL=$SNMP_V3_PRIV_PROTOCOL
NETMON_SNMP_V3_PRIV_KEY=$SNMP_V3_PRIV_KEY
NETMON_KAFKA_PID_FILE=$KAFKA_PID_FILE
NETMON_INFLUX_PID_FILE=$INFLUX_PID_FILE
NETMON_SNMPD_PID_FILE=$SNMPD_PID_FILE
EOF

{
  printf '\n%-9s %-36s %-8s %-16s %s\n' SERVER ADDRESS PID STATUS LOG
  printf '%-9s %-36s %-8s %-16s %s\n' kafka "127.0.0.1:$NETMON_KAFKA_PORT (ctrl :$NETMON_KAFKA_CONTROLLER_PORT)" "${PIDS[kafka]}" "${STATUS[kafka]}" "$KAFKA_LOG"
  printf '%-9s %-36s %-8s %-16s %s\n' influxdb "http://127.0.0.1:$NETMON_INFLUX_PORT (rpc :$NETMON_INFLUX_RPC_PORT)" "${PIDS[influxdb]}" "${STATUS[influxdb]}" "$INFLUX_LOG"
  printf '%-9s %-36s %-8s %-16s %s\n' snmpd "udp:127.0.0.1:$NETMON_SNMP_PORT" "${PIDS[snmpd]}" "${STATUS[snmpd]}" "$SNMPD_LOG"
  printf '\nenv: %s   (stack up in %ss; stop: bash scripts/stack/down.sh)\n' "$NETMON_STACK_DIR/env" "$((SECONDS - START_TS))"
}
