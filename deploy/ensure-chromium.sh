#!/usr/bin/env bash
# The browser tests drive Debian's chromium through Playwright. Install it from apt when it is
# missing; never `playwright install` (it downloads its own browsers, which fails offline).
set -euo pipefail

CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "$CHROMIUM is missing. Install it, then run the command again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "$CHROMIUM is missing and there is no apt-get: install Debian's chromium package." >&2
    exit 1
fi
echo "Installing chromium from apt ..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
[ -x "$CHROMIUM" ] || { echo "apt installed chromium but $CHROMIUM is still missing." >&2; exit 1; }
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
