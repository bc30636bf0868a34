# shellcheck shell=bash disable=SC2034
# The stack's InfluxDB: 1.x from Debian's influxdb package (/usr/bin/influxd,
# installed or, without root, unpacked in the user's cache: debs.sh), HTTP on
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

influxdb_needs() {
  debs+=("influxdb /usr/bin/influxd")
  binaries+=(/usr/bin/influxd)
}

influxdb_configure() {
  mkdir -p "$INFLUX_DIR/meta" "$INFLUX_DIR/data" "$INFLUX_DIR/wal"
  render_template influxdb/influxdb.conf "$INFLUX_DIR/influxdb.conf"
}

influxdb_start() {
  log "influxdb: starting"
  deb_cmd influxdb /usr/bin/influxd || die "influxdb: the influxdb package was never fetched"
  launch "$INFLUX_PID_FILE" "$INFLUX_LOG" "${DEB_CMD[@]}" run -config "$INFLUX_DIR/influxdb.conf"
}

# influxdb_ready [PORT] -> GET /ping answers 204. Bash's /dev/tcp rather than
# curl, which a user without root may not have.
influxdb_ready() {
  local port=${1:-$NETMON_INFLUX_PORT} status=""
  (
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf 'GET /ping HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    IFS= read -r -t 3 status <&3 || exit 1
    [[ $status == "HTTP/1."?" 204"* ]]
  ) 2>/dev/null
}

# nothing to set or double-check once /ping answers
influxdb_up() { :; }

influxdb_check() {
  echo "influxdb ${NETMON_INFLUX_URL}"
  if influxdb_ready "${NETMON_INFLUX_URL##*:}"; then ok "GET /ping -> 204"; else bad "GET /ping did not return 204"; fi
}
