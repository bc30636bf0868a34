# shellcheck shell=bash disable=SC2034
# The stack's SNMP agent: Debian's net-snmp snmpd (installed or, without root,
# unpacked in the user's cache: debs.sh) on udp:127.0.0.1:$NETMON_SNMP_PORT,
# serving this host's real IF-MIB counters to a v2c community and a v3 authPriv
# user, with the interface cache reloaded on every request (notes below).
# A server script: sourced by lib.sh, which describes the entries and snmpd_*
# functions it defines; config from templates/snmpd/.
# (SC2034 is off: what it sets is read by up.sh, down.sh and the templates.)
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

# --- fixed SNMP credentials of the dev agent -----------------------------------
SNMP_COMMUNITY="netmon-ro"
SNMP_V3_USER="netmon"
SNMP_V3_AUTH_KEY="netmon-auth-pass"
SNMP_V3_PRIV_KEY="netmon-priv-pass"
SNMP_V3_PRIV_PROTOCOL="aes" # AES-128 (CFB), the only AES net-snmp's createUser offers
# NET-SNMP-AGENT-MIB::nsCacheTimeout for the IF-MIB ifTable cache (which
# ifXTable shares), indexed by the cache's root OID 1.3.6.1.2.1.2.2.
NS_CACHE_TIMEOUT_IFTABLE_OID="1.3.6.1.4.1.8072.1.5.3.1.2.1.3.6.1.2.1.2.2"

NETMON_SNMP_PORT="${NETMON_SNMP_PORT:-11161}"
SNMPD_DIR="$NETMON_STACK_DIR/snmpd"
SNMPD_PID_FILE="$SNMPD_DIR/snmpd.pid"
SNMPD_LOG="$SNMPD_DIR/snmpd.log"

SERVER_PID_FILE["snmpd"]=$SNMPD_PID_FILE
SERVER_LOG["snmpd"]=$SNMPD_LOG
SERVER_MARKER["snmpd"]="$SNMPD_DIR/snmpd.conf"
SERVER_PORTS["snmpd"]="udp NETMON_SNMP_PORT snmpd"
SERVER_ADDRESS["snmpd"]="udp:127.0.0.1:$NETMON_SNMP_PORT"

# package snmp: the client tools (snmpget answers readiness, snmpset the cache setting)
snmpd_needs() {
  debs+=("snmpd /usr/sbin/snmpd" "snmp /usr/bin/snmpget /usr/bin/snmpset /usr/bin/snmpbulkwalk")
  binaries+=(/usr/sbin/snmpd snmpget snmpset)
}

# snmp_cmd TOOL ARGS... -> run a net-snmp client tool without loading MIB files
# (Debian ships no IETF MIBs, we only use numeric OIDs) and without touching
# the system-wide /var/lib/snmp.
snmp_cmd() {
  local tool=$1
  shift
  mkdir -p "$SNMPD_DIR/client"
  SNMP_PERSISTENT_DIR="$SNMPD_DIR/client" MIBS="" deb_run snmp "/usr/bin/$tool" -m "" "$@"
}

snmp_auth_protocol() {
  # createUser in this snmpd supports SHA-256? (net-snmp >= 5.8 built with it)
  local help
  help="$(SNMP_PERSISTENT_DIR="$SNMPD_DIR/client" deb_run snmpd /usr/sbin/snmpd -H 2>&1 || true)"
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

# Sets SNMP_V3_AUTH_PROTOCOL (sha256 or sha, for .stack/env), SNMP_V3_AUTH_NAME
# (net-snmp's spelling, for createUser and snmpget -a) and
# SNMP_CACHE_ADMIN_COMMUNITY, then renders snmpd.conf.
snmpd_configure() {
  mkdir -p "$SNMPD_DIR/persist" "$SNMPD_DIR/client"
  SNMP_V3_AUTH_PROTOCOL="$(snmp_auth_protocol)"
  if [[ $SNMP_V3_AUTH_PROTOCOL == sha256 ]]; then SNMP_V3_AUTH_NAME="SHA-256"; else SNMP_V3_AUTH_NAME="SHA"; fi
  SNMP_CACHE_ADMIN_COMMUNITY="$(snmp_cache_admin_community)"
  render_template snmpd/snmpd.conf "$SNMPD_DIR/snmpd.conf"
}

snmpd_start() {
  local i
  # config (createUser) is authoritative for the v3 user; keep engineID/boots
  touch "$SNMPD_DIR/persist/snmpd.conf"
  sed -i '/^usmUser /d' "$SNMPD_DIR/persist/snmpd.conf"
  log "snmpd: starting"
  deb_cmd snmpd /usr/sbin/snmpd || die "snmpd: the snmpd package was never fetched"
  # snmpd daemonizes itself and writes its own pid file (-p).
  if ! SNMP_PERSISTENT_DIR="$SNMPD_DIR/persist" "${DEB_CMD[@]}" \
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
}

# snmpd_ready [PORT [COMMUNITY]] -> v2c GET sysUpTime.0 (1.3.6.1.2.1.1.3.0) succeeds
snmpd_ready() {
  local port=${1:-$NETMON_SNMP_PORT} community=${2:-$SNMP_COMMUNITY}
  local out
  out="$(snmp_cmd snmpget -v2c -c "$community" -r 0 -t 1 "127.0.0.1:$port" 1.3.6.1.2.1.1.3.0 2>/dev/null)" || return 1
  [[ $out == *Timeticks* ]]
}

# snmpd_up found|started -> after a start, the v3 user must answer too; every
# run, the cache timeout is (re)applied, since snmpd forgets it on restart
snmpd_up() {
  if [[ $1 == started ]] && ! snmp_v3_ready "$NETMON_SNMP_PORT" "$SNMP_V3_AUTH_NAME"; then
    printf '[stack] ERROR: snmpd answers v2c but not SNMPv3 authPriv (%s/AES) for user %s\n' "$SNMP_V3_AUTH_NAME" "$SNMP_V3_USER" >&2
    show_log_tail snmpd "$SNMPD_LOG"
    return 1
  fi
  snmp_tune_iftable_cache "$NETMON_SNMP_PORT" || warn "snmpd: could not set nsCacheTimeout for ifTable to 0 (counters may be up to 3 s stale)"
}

# snmpd_check -> v2c (community) and v3 authPriv (user) answer, ifXTable serves
# "lo", the ifTable cache timeout is 0, and the counters are fresh: while
# traffic runs on lo, ifHCInOctets.<lo> read via SNMP must not be older than
# /proc/net/dev read right before each request.
# Numeric OIDs (Debian has no IETF MIB files):
#   sysUpTime.0        1.3.6.1.2.1.1.3.0
#   ifXTable           1.3.6.1.2.1.31.1.1
#   ifName.<i>         1.3.6.1.2.1.31.1.1.1.1.<i>
#   ifHCInOctets.<i>   1.3.6.1.2.1.31.1.1.1.6.<i>
# (After `npm ci`, `-M +node_modules/net-snmp/lib/mibs -m IF-MIB:SNMPv2-MIB`
# makes names like IF-MIB::ifHCInOctets.1 work too.)
snmpd_check() {
  local snmp_target="$NETMON_SNMP_HOST:$NETMON_SNMP_PORT" v3_auth v3 out walk lo_idx cache_timeout
  if [[ $NETMON_SNMP_V3_AUTH_PROTOCOL == sha256 ]]; then v3_auth=SHA-256; else v3_auth=SHA; fi
  v3=(-v3 -l authPriv -u "$NETMON_SNMP_V3_USER" -a "$v3_auth" -A "$NETMON_SNMP_V3_AUTH_KEY" -x AES -X "$NETMON_SNMP_V3_PRIV_KEY")

  echo "snmpd udp:${snmp_target}"
  if out="$(snmp_cmd snmpget -v2c -c "$NETMON_SNMP_COMMUNITY" "$snmp_target" 1.3.6.1.2.1.1.3.0 2>&1)" && [[ $out == *Timeticks* ]]; then
    ok "v2c community $NETMON_SNMP_COMMUNITY: sysUpTime.0 = ${out#*= }"
  else
    bad "v2c GET sysUpTime.0: $out"
  fi
  if out="$(snmp_cmd snmpget "${v3[@]}" "$snmp_target" 1.3.6.1.2.1.1.3.0 2>&1)" && [[ $out == *Timeticks* ]]; then
    ok "v3 authPriv user $NETMON_SNMP_V3_USER ($v3_auth/AES): sysUpTime.0 = ${out#*= }"
  else
    bad "v3 authPriv GET sysUpTime.0: $out"
  fi
  # find lo's ifIndex in ifXTable (ifName column)
  walk="$(snmp_cmd snmpbulkwalk -v2c -c "$NETMON_SNMP_COMMUNITY" -On "$snmp_target" 1.3.6.1.2.1.31.1.1 2>&1 || true)"
  lo_idx="$(awk -F' = ' '$1 ~ /^\.1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.1\./ && $2 ~ /"lo"$/ { n = split($1, a, "."); print a[n]; exit }' <<<"$walk")"
  if [[ -n $lo_idx ]] && grep -q "^\.1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6\.$lo_idx = Counter64:" <<<"$walk"; then
    ok "ifXTable: lo is ifIndex $lo_idx, ifHCInOctets.$lo_idx = $(grep "^\.1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6\.$lo_idx = " <<<"$walk" | sed 's/.*Counter64: //')"
  else
    bad "ifXTable walk has no ifName \"lo\" with ifHCInOctets"
  fi
  cache_timeout="$(snmp_cmd snmpget -v2c -c "$NETMON_SNMP_COMMUNITY" -Oqv "$snmp_target" "$NS_CACHE_TIMEOUT_IFTABLE_OID" 2>&1 || true)"
  if [[ $cache_timeout == 0 ]]; then ok "nsCacheTimeout(ifTable) = 0 (reload on every request)"; else bad "nsCacheTimeout(ifTable) = $cache_timeout (expected 0)"; fi

  # Freshness: SNMP value must be >= /proc/net/dev read just before the request.
  if [[ -n $lo_idx ]] && command -v node >/dev/null 2>&1; then
    snmpd_check_freshness "$snmp_target" "$lo_idx"
  else
    echo "  skip  freshness check (needs node and the lo row)"
  fi
}

snmpd_lo_rx() { awk '/^ *lo:/ { sub(/^ *lo:/, ""); print $1 }' /proc/net/dev; }

# snmpd_check_freshness TARGET LO_INDEX
snmpd_check_freshness() {
  local snmp_target=$1 lo_idx=$2 gen r0 t0 r1 t1 p0 v worst_lag=0 samples=0 stale=0 rate
  # ~5 MB/s of UDP on lo for a few seconds
  node -e '
    const d = require("dgram"); const rx = d.createSocket("udp4");
    rx.on("message", () => {});
    rx.bind(0, "127.0.0.1", () => {
      const tx = d.createSocket("udp4"), b = Buffer.alloc(1400), p = rx.address().port;
      const t = setInterval(() => { for (let i = 0; i < 8; i++) tx.send(b, p, "127.0.0.1"); }, 2);
      setTimeout(() => { clearInterval(t); process.exit(0); }, 4000);
    });' &
  gen=$!
  sleep 0.5
  r0="$(snmpd_lo_rx)"; t0="$(date +%s%N)"
  for _ in 1 2 3 4 5 6 7 8; do
    p0="$(snmpd_lo_rx)"
    v="$(snmp_cmd snmpget -v2c -c "$NETMON_SNMP_COMMUNITY" -Oqv "$snmp_target" "1.3.6.1.2.1.31.1.1.1.6.$lo_idx" 2>/dev/null || echo 0)"
    samples=$((samples + 1))
    if ((v < p0)); then
      stale=$((stale + 1))
      ((p0 - v > worst_lag)) && worst_lag=$((p0 - v))
    fi
    sleep 0.3
  done
  r1="$(snmpd_lo_rx)"; t1="$(date +%s%N)"
  wait "$gen" 2>/dev/null || true
  rate=$(((r1 - r0) * 1000000000 / (t1 - t0 + 1)))
  if ((stale == 0)); then
    ok "freshness: $samples/$samples ifHCInOctets.$lo_idx values were >= /proc/net/dev read just before the request (lo at ~$((rate / 1000)) kB/s)"
  else
    bad "freshness: $stale/$samples values older than the request, worst by $worst_lag bytes (~$(awk -v l="$worst_lag" -v r="$rate" 'BEGIN { printf "%.2f", (r > 0 ? l / r : 0) }') s at ~$((rate / 1000)) kB/s)"
  fi
}
