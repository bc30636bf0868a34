# shellcheck shell=bash disable=SC2034
# The stack's InfluxDB: 1.x from Debian's /usr/bin/influxd, HTTP on
# 127.0.0.1:$NETMON_INFLUX_PORT, RPC (backup/restore) on $NETMON_INFLUX_RPC_PORT,
# with its own config file and data under $NETMON_STACK_DIR/influxdb.
# A server script: sourced by lib.sh, which describes the entries and
# influxdb_* functions it defines; config from templates/influxdb/.
# (SC2034 is off: what it sets is read by up.sh, down.sh and the templates.)

NETMON_INFLUX_PORT="${NETMON_INFLUX_PORT:-18086}"
NETMON_INFLUX_RPC_PORT="${NETMON_INFLUX_RPC_PORT:-18088}"
INFLUX_DIR="$NETMON_STACK_DIR/influxdb"
INFLUX_PID_FILE="$INFLUX_DIR/influxd.pid"
INFLUX_LOG="$INFLUX_DIR/influxd.log"

SERVER_PID_FILE["influxdb"]=$INFLUX_PID_FILE
SERVER_LOG["influxdb"]=$INFLUX_LOG
SERVER_MARKER["influxdb"]="$INFLUX_DIR/influxdb.conf"
SERVER_PORTS["influxdb"]="tcp NETMON_INFLUX_PORT influxdb;tcp NETMON_INFLUX_RPC_PORT influxdb rpc"
SERVER_ADDRESS["influxdb"]="http://127.0.0.1:$NETMON_INFLUX_PORT (rpc :$NETMON_INFLUX_RPC_PORT)"

# curl is the readiness probe
influxdb_needs() {
  debs+=(influxdb)
  binaries+=(/usr/bin/influxd curl)
  command -v curl >/dev/null 2>&1 || tools+=(curl)
}

influxdb_configure() {
  mkdir -p "$INFLUX_DIR/meta" "$INFLUX_DIR/data" "$INFLUX_DIR/wal"
  render_template influxdb/influxdb.conf "$INFLUX_DIR/influxdb.conf"
}

influxdb_start() {
  log "influxdb: starting"
  launch "$INFLUX_PID_FILE" "$INFLUX_LOG" /usr/bin/influxd run -config "$INFLUX_DIR/influxdb.conf"
}

# influxdb_ready [PORT] -> GET /ping answers 204
influxdb_ready() {
  local port=${1:-$NETMON_INFLUX_PORT} code
  code="$(curl -s -o /dev/null -m 3 -w '%{http_code}' "http://127.0.0.1:$port/ping" || true)"
  [[ $code == 204 ]]
}

# nothing to set or double-check once /ping answers
influxdb_up() { :; }

influxdb_check() {
  echo "influxdb ${NETMON_INFLUX_URL}"
  if influxdb_ready "${NETMON_INFLUX_URL##*:}"; then ok "GET /ping -> 204"; else bad "GET /ping did not return 204"; fi
}
