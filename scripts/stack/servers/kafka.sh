# shellcheck shell=bash disable=SC2034
# The stack's Kafka: 3.9.1, one KRaft node (broker + controller) on
# 127.0.0.1:$NETMON_KAFKA_PORT, controller on $NETMON_KAFKA_CONTROLLER_PORT,
# run from the jars Maven resolves for scripts/kafka/pom.xml (cached outside
# git in ${XDG_CACHE_HOME:-~/.cache}/netmon/kafka-3.9.1/lib), as any user.
# A server script: sourced by lib.sh, which describes the entries and kafka_*
# functions it defines; config from templates/kafka/.
# (SC2034 is off: what it sets is read by up.sh, down.sh and the templates.)

KAFKA_VERSION="3.9.1"
NETMON_KAFKA_PORT="${NETMON_KAFKA_PORT:-19092}"
NETMON_KAFKA_CONTROLLER_PORT="${NETMON_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_DIR="$NETMON_STACK_DIR/kafka"
KAFKA_PID_FILE="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DIR/kafka.log"

SERVER_PID_FILE["kafka"]=$KAFKA_PID_FILE
SERVER_LOG["kafka"]=$KAFKA_LOG
SERVER_MARKER["kafka"]="$KAFKA_DIR/server.properties"
SERVER_PORTS["kafka"]="tcp NETMON_KAFKA_PORT kafka;tcp NETMON_KAFKA_CONTROLLER_PORT kafka controller"
SERVER_ADDRESS["kafka"]="127.0.0.1:$NETMON_KAFKA_PORT (ctrl :$NETMON_KAFKA_CONTROLLER_PORT)"

kafka_lib_dir() {
  printf '%s/kafka-%s/lib' "$NETMON_CACHE_DIR" "$KAFKA_VERSION"
}

java_bin() {
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    printf '%s' "$JAVA_HOME/bin/java"
  else
    command -v java
  fi
}

kafka_jars_complete() {
  local lib marker
  lib="$(kafka_lib_dir)"
  marker="$lib/.netmon-complete"
  [[ -f $marker && "$(cat "$marker")" == "$(sha256sum "$NETMON_REPO_ROOT/scripts/kafka/pom.xml" | cut -d' ' -f1)" ]]
}

# Java is the one thing a user without root cannot get here (root installs
# it). Maven is only needed until the jars are in the cache: a mvn on PATH,
# else Debian's maven package (installed by root, or fetched into the cache).
kafka_needs() {
  if [[ -z "$(java_bin 2>/dev/null || true)" ]]; then
    if ((EUID == 0)); then
      tools+=(openjdk-17-jre-headless)
    else
      die "kafka: java not found (Kafka runs on Java 17 or later). Run: sudo apt-get install openjdk-17-jre-headless (or set JAVA_HOME), then start again"
    fi
  fi
  if ! kafka_jars_complete && { [[ $NETMON_STACK_DEBS == cache ]] || ! command -v mvn >/dev/null 2>&1; }; then
    debs+=("maven /usr/share/maven/bin/mvn")
  fi
}

# mvn_cmd -> sets DEB_CMD to the mvn to run (see kafka_needs)
mvn_cmd() {
  if [[ $NETMON_STACK_DEBS != cache ]] && command -v mvn >/dev/null 2>&1; then
    DEB_CMD=(mvn)
  else
    deb_cmd maven /usr/share/maven/bin/mvn
  fi
}

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
    mvn_cmd || die "mvn not found (needed once to fetch the Kafka jars)"
    hash="$(sha256sum "$pom" | cut -d' ' -f1)"
    tmp="$cache/lib.tmp.$$"
    rm -rf "$tmp"
    log "kafka: resolving Kafka $KAFKA_VERSION jars from Maven Central into $lib (one-time)"
    if ! "${DEB_CMD[@]}" -q -B -f "$pom" dependency:copy-dependencies \
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

kafka_configure() {
  ensure_kafka_jars
  mkdir -p "$KAFKA_DIR/data"
  render_template kafka/server.properties "$KAFKA_DIR/server.properties"
  render_template kafka/log4j.properties "$KAFKA_DIR/log4j.properties"
  render_template kafka/log4j-tools.properties "$KAFKA_DIR/log4j-tools.properties"
  KAFKA_JAVA="$(java_bin)" || die "java not found"
}

kafka_start() {
  local lib cluster_id
  lib="$(kafka_lib_dir)"
  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    # Any 16-byte value in URL-safe base64 without padding (22 chars) is a
    # valid Kafka Uuid; this saves a JVM start for `StorageTool random-uuid`.
    # Like Uuid.randomUuid(), avoid a leading "-" (would look like a CLI option).
    cluster_id="-"
    while [[ $cluster_id == -* ]]; do
      cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    done
    log "kafka: formatting KRaft storage (cluster id $cluster_id)"
    if ! "$KAFKA_JAVA" -Xmx256m -cp "$lib/*" -Dlog4j.configuration="file:$KAFKA_DIR/log4j-tools.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
      >>"$KAFKA_LOG" 2>&1 </dev/null 9>&-; then
      show_log_tail kafka "$KAFKA_LOG"
      die "kafka: StorageTool format failed"
    fi
    printf '%s\n' "$cluster_id" >"$KAFKA_DIR/cluster.id"
  fi

  log "kafka: starting"
  launch "$KAFKA_PID_FILE" "$KAFKA_LOG" \
    "$KAFKA_JAVA" -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Dkafka.logs.dir="$KAFKA_DIR" \
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
    -cp "$lib/*" kafka.Kafka "$KAFKA_DIR/server.properties"
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

# kafka_ready [PORT] -> a metadata request to 127.0.0.1:PORT succeeds (prints
# the brokers and the controller)
kafka_ready() {
  local port=${1:-$NETMON_KAFKA_PORT}
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

# nothing to set or double-check once the broker answers
kafka_up() { :; }

kafka_check() {
  local out
  echo "kafka ${NETMON_KAFKA_BROKERS}"
  if out="$(kafka_ready "${NETMON_KAFKA_BROKERS##*:}" 2>&1)"; then ok "metadata: $out"; else bad "metadata request failed: $out"; fi
}
