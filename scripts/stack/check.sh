#!/usr/bin/env bash
# Smoke-test a running local stack (started by scripts/stack/up.sh): each
# server's NAME_check in servers/ (see lib.sh), with the settings of
# $NETMON_STACK_DIR/env:
#   * InfluxDB /ping answers 204,
#   * snmpd answers SNMPv2c (community) and SNMPv3 authPriv (user), serves
#     IF-MIB ifXTable for "lo", and its interface counters are fresh: while
#     traffic runs on lo, ifHCInOctets.<lo> read via SNMP is compared with
#     /proc/net/dev read right before each request,
#   * Kafka answers a Metadata request.
#
# Usage: bash scripts/stack/check.sh        (exit status 0 = all good)
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

for name in "${STACK_SERVERS[@]}"; do
  "${name}_check"
done

if ((failures)); then
  printf '\n%d check(s) failed\n' "$failures"
  exit 1
fi
printf '\nall checks passed\n'
