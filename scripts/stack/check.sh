#!/usr/bin/env bash
# Smoke-test a running local stack (started by scripts/stack/up.sh):
#   * Kafka answers a Metadata request,
#   * InfluxDB /ping answers 204,
#   * snmpd answers SNMPv2c (community) and SNMPv3 authPriv (user), serves
#     IF-MIB ifXTable for "lo", and its interface counters are fresh: while
#     traffic runs on lo, ifHCInOctets.<lo> read via SNMP is compared with
#     /proc/net/dev read right before and right after each request.
#
# Usage: bash scripts/stack/check.sh        (exit status 0 = all good)
#
# Net-snmp CLI note: Debian has no IETF MIB files, so we use numeric OIDs:
#   sysUpTime.0        1.3.6.1.2.1.1.3.0
#   ifXTable           1.3.6.1.2.1.31.1.1
#   ifName.<i>         1.3.6.1.2.1.31.1.1.1.1.<i>
#   ifHCInOctets.<i>   1.3.6.1.2.1.31.1.1.1.6.<i>
# (After `npm ci`, `-M +node_modules/net-snmp/lib/mibs -m IF-MIB:SNMPv2-MIB`
# makes names like IF-MIB::ifHCInOctets.1 work too.)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"

[[ -f $NETMON_STACK_DIR/env ]] || die "no $NETMON_STACK_DIR/env - run scripts/stack/up.sh first"
# shellcheck disable=SC1091
source "$NETMON_STACK_DIR/env"

failures=0
ok()   { printf '  ok    %s\n' "$*"; }
bad()  { printf '  FAIL  %s\n' "$*"; failures=$((failures + 1)); }

snmp_target="$NETMON_SNMP_HOST:$NETMON_SNMP_PORT"
if [[ $NETMON_SNMP_V3_AUTH_PROTOCOL == sha256 ]]; then v3_auth=SHA-256; else v3_auth=SHA; fi
v3=(-v3 -l authPriv -u "$NETMON_SNMP_V3_USER" -a "$v3_auth" -A "$NETMON_SNMP_V3_AUTH_KEY" -x AES -X "$NETMON_SNMP_V3_PRIV_KEY")

echo "kafka ${NETMON_KAFKA_BROKERS}"
if out="$(kafka_ready "${NETMON_KAFKA_BROKERS##*:}" 2>&1)"; then ok "metadata: $out"; else bad "metadata request failed: $out"; fi

echo "influxdb ${NETMON_INFLUX_URL}"
if influx_ready "${NETMON_INFLUX_URL##*:}"; then ok "GET /ping -> 204"; else bad "GET /ping did not return 204"; fi

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
cache_timeout="$(snmp_cmd snmpget -v2c -c "$NETMON_SNMP_COMMUNITY" -Oqv "$snmp_target" 1.3.6.1.4.1.8072.1.5.3.1.2.1.3.6.1.2.1.2.2 2>&1 || true)"
if [[ $cache_timeout == 0 ]]; then ok "nsCacheTimeout(ifTable) = 0 (reload on every request)"; else bad "nsCacheTimeout(ifTable) = $cache_timeout (expected 0)"; fi

# Freshness: SNMP value must be >= /proc/net/dev read just before the request.
if [[ -n $lo_idx ]] && command -v node >/dev/null 2>&1; then
  lo_rx() { awk '/^ *lo:/ { sub(/^ *lo:/, ""); print $1 }' /proc/net/dev; }
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
  r0="$(lo_rx)"; t0="$(date +%s%N)"
  worst_lag=0 samples=0 stale=0
  for _ in 1 2 3 4 5 6 7 8; do
    p0="$(lo_rx)"
    v="$(snmp_cmd snmpget -v2c -c "$NETMON_SNMP_COMMUNITY" -Oqv "$snmp_target" "1.3.6.1.2.1.31.1.1.1.6.$lo_idx" 2>/dev/null || echo 0)"
    p1="$(lo_rx)"
    samples=$((samples + 1))
    if ((v < p0)); then
      stale=$((stale + 1))
      ((p0 - v > worst_lag)) && worst_lag=$((p0 - v))
    fi
    sleep 0.3
  done
  r1="$(lo_rx)"; t1="$(date +%s%N)"
  wait "$gen" 2>/dev/null || true
  rate=$(((r1 - r0) * 1000000000 / (t1 - t0 + 1)))
  if ((stale == 0)); then
    ok "freshness: $samples/$samples ifHCInOctets.$lo_idx values were >= /proc/net/dev read just before the request (lo at ~$((rate / 1000)) kB/s)"
  else
    bad "freshness: $stale/$samples values older than the request, worst by $worst_lag bytes (~$(awk -v l="$worst_lag" -v r="$rate" 'BEGIN { printf "%.2f", (r > 0 ? l / r : 0) }') s at ~$((rate / 1000)) kB/s)"
  fi
else
  echo "  skip  freshness check (needs node and the lo row)"
fi

if ((failures)); then
  printf '\n%d check(s) failed\n' "$failures"
  exit 1
fi
printf '\nall checks passed\n'
