#!/usr/bin/env bash
# Copy the front-end packages `npm ci` installed into the gateway's static folder, so pages
# load them from the gateway itself (no CDN). The target is generated and gitignored.
set -euo pipefail
cd "$(dirname "$0")/.."

SRC=node_modules
DEST=gateway/gateway/static/vendor

if [ ! -d "$SRC/bootstrap/dist" ] || [ ! -d "$SRC/bootstrap-icons/font" ] \
    || [ ! -d "$SRC/chart.js/dist" ] || [ ! -f "$SRC/sortablejs/Sortable.min.js" ]; then
    echo "node_modules is incomplete: run 'npm ci' first (make assets does both)." >&2
    exit 1
fi

rm -rf "$DEST"
mkdir -p "$DEST/bootstrap/css" "$DEST/bootstrap/js" "$DEST/bootstrap-icons/font" \
    "$DEST/chart.js" "$DEST/sortablejs"

# bootstrap.bundle includes Popper, so no separate copy of @popperjs/core is needed.
cp "$SRC"/bootstrap/dist/css/bootstrap.min.css{,.map} "$DEST/bootstrap/css/"
cp "$SRC"/bootstrap/dist/js/bootstrap.bundle.min.js{,.map} "$DEST/bootstrap/js/"
# The icon stylesheet refers to its fonts as `fonts/...`, relative to itself.
cp "$SRC"/bootstrap-icons/font/bootstrap-icons{.css,.min.css} "$DEST/bootstrap-icons/font/"
cp -r "$SRC/bootstrap-icons/font/fonts" "$DEST/bootstrap-icons/font/"

# The dashboard's charts (Chart.js, its UMD build: one file, no module loader) and the drag and
# drop of its widgets (SortableJS).
cp "$SRC"/chart.js/dist/chart.umd.min.js{,.map} "$DEST/chart.js/"
cp "$SRC"/sortablejs/Sortable.min.js "$DEST/sortablejs/"

echo "front-end assets copied to $DEST"
