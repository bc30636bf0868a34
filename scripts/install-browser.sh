#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser tests (test/integration/browser.test.ts),
# which drive /usr/bin/chromium with playwright-core (no browser download from a CDN).
#
# Usage: bash scripts/install-browser.sh   (as root; CI is a fresh Debian 12 machine)
#
# Idempotent: when /usr/bin/chromium is there it only says so (no apt, well under a second);
# otherwise it runs `apt-get update` and installs the `chromium` package non-interactively.
# Exits non-zero when Chromium is still missing afterwards.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
  echo "install-browser: $CHROMIUM already installed, nothing to do"
  exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
  echo "install-browser: $CHROMIUM is missing and installing it needs root (apt-get install chromium)" >&2
  exit 1
fi

echo "install-browser: $CHROMIUM missing: apt-get update"
apt-get update
echo "install-browser: apt-get install -y chromium"
DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

if [[ ! -x "$CHROMIUM" ]]; then
  echo "install-browser: the chromium package is installed but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "install-browser: installed $(dpkg-query -W -f='chromium ${Version}' chromium 2>/dev/null || echo chromium)"
