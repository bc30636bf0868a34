#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests (test/integration/browser.ts), which
# drive it with playwright-core (no browser download from a CDN).
#
# Usage: bash scripts/install-browser.sh   (any user; CI is a fresh Debian 12 machine, as root)
#
# Idempotent, and like the local stack (scripts/stack/debs.sh) it needs root only to install:
#   * /usr/bin/chromium installed: nothing to do (no apt, well under a second);
#   * else as root: `apt-get update` and `apt-get install chromium`, as before;
#   * else (or with NETMON_STACK_DEBS=cache): chromium, chromium-common and the libraries it needs
#     that are not installed are fetched with `apt-get download` and unpacked under
#     ${XDG_CACHE_HOME:-~/.cache}/netmon/debs/, and ${XDG_CACHE_HOME:-~/.cache}/netmon/chromium is
#     written: a launcher with the libraries on LD_LIBRARY_PATH, which browser.ts uses when
#     /usr/bin/chromium is missing.
# Exits non-zero when no Chromium can be had.
set -euo pipefail

# shellcheck source=stack/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/stack/lib.sh"
debs_check_mode

CHROMIUM=/usr/bin/chromium
LAUNCHER="$NETMON_CACHE_DIR/chromium"

if [[ -x $CHROMIUM && $NETMON_STACK_DEBS != cache ]]; then
  echo "install-browser: $CHROMIUM already installed, nothing to do"
  exit 0
fi

if ((EUID == 0)) && [[ $NETMON_STACK_DEBS == auto ]]; then
  echo "install-browser: $CHROMIUM missing: apt-get update"
  apt-get update
  echo "install-browser: apt-get install -y chromium"
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
  [[ -x $CHROMIUM ]] || die "install-browser: the chromium package is installed but $CHROMIUM is still missing"
  echo "install-browser: installed $(dpkg-query -W -f='chromium ${Version}' chromium 2>/dev/null || echo chromium)"
  exit 0
fi

# Debian's /usr/bin/chromium is a wrapper around /usr/lib/chromium/chromium, which finds its
# resources (chromium-common's files among them) next to itself: both go into one tree.
deb_fetch chromium+chromium-common /usr/lib/chromium/chromium
deb_cmd chromium /usr/lib/chromium/chromium
mkdir -p "$NETMON_CACHE_DIR"
{
  printf '#!/bin/sh\n# Written by scripts/install-browser.sh: the Chromium unpacked in this cache.\n'
  printf 'exec'
  printf ' %q' "${DEB_CMD[@]}"
  printf ' "$@"\n'
} | write_if_changed "$LAUNCHER"
chmod 755 "$LAUNCHER"
"$LAUNCHER" --version >/dev/null || die "install-browser: $LAUNCHER --version failed"
echo "install-browser: $("$LAUNCHER" --version) from $LAUNCHER"
