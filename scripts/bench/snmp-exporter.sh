#!/usr/bin/env bash
# Debian's prometheus-snmp-exporter for `npm run bench:appliance` (the peer it compares the collector
# with): fetched with `apt-get download` and unpacked into this user's cache by the stack's debs.sh,
# always (NETMON_STACK_DEBS=cache), also as root. Why never `apt-get install`: the package's
# maintainer scripts would start a system service listening on every interface; the bench runs the
# binary itself, on 127.0.0.1 only, for as long as it measures.
#
# Usage: bash scripts/bench/snmp-exporter.sh
# Prints two lines on stdout: the command that runs the exporter (LD_LIBRARY_PATH=... <tree>/usr/bin/...,
# tab-separated words), then the package's generated config (snmp.yml with the if_mib module).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The cache, always (see above): debs.sh reads this when it is sourced and at every fetch.
export NETMON_STACK_DEBS=cache
# shellcheck source-path=SCRIPTDIR source=../stack/lib.sh
source "$SCRIPT_DIR/../stack/lib.sh"

PKG=prometheus-snmp-exporter
BIN=/usr/bin/prometheus-snmp-exporter
deb_fetch "$PKG" "$BIN" >&2
root="$(deb_root "$PKG")"
[[ -n $root ]] || die "$PKG: not in the cache after the fetch"
config=""
for c in "$root/etc/prometheus/snmp.yml" "$root/usr/share/doc/$PKG/examples/snmp.yml" "$root/usr/share/$PKG/snmp.yml"; do
  if [[ -f $c ]]; then config=$c; break; fi
done
[[ -n $config ]] || die "$PKG: no snmp.yml in $root (looked in etc/prometheus and usr/share)"
deb_cmd "$PKG" "$BIN"
(IFS=$'\t'; printf '%s\n' "${DEB_CMD[*]}")
printf '%s\n' "$config"
