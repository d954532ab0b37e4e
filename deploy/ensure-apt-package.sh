#!/usr/bin/env bash
# A tool the tests need from Debian, installed from apt when it is missing:
#   deploy/ensure-apt-package.sh /usr/bin/chromium chromium       (the browser tests; never
#       `playwright install`, which downloads its own browsers and fails offline)
#   deploy/ensure-apt-package.sh /usr/bin/docker-compose docker-compose   (the compose file check)
set -euo pipefail

TOOL=$1
PACKAGE=$2
[ -x "$TOOL" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "$TOOL is missing. Install it, then run the command again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y $PACKAGE" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "$TOOL is missing and there is no apt-get: install Debian's $PACKAGE package." >&2
    exit 1
fi
echo "Installing $PACKAGE from apt ..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$PACKAGE" >/dev/null
[ -x "$TOOL" ] || { echo "apt installed $PACKAGE but $TOOL is still missing." >&2; exit 1; }
echo "$PACKAGE installed: $("$TOOL" --version 2>/dev/null | head -1 || echo "$TOOL")"
