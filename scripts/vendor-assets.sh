#!/usr/bin/env bash
# Vendors the front-end assets Accord serves itself (no CDN) from the npm registry.
# Versions are pinned here; npm verifies each tarball's integrity against the registry.
# Changing a version changes the stamp, so existing checkouts re-vendor on the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=src/accord/web/static/vendor
HTMX_VERSION=2.0.4
SWAGGER_VERSION=5.17.14
LEAFLET_VERSION=1.9.4
STAMP="$DEST/.versions"
WANT="htmx.org@$HTMX_VERSION swagger-ui-dist@$SWAGGER_VERSION leaflet@$LEAFLET_VERSION"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
   && [ -f "$DEST/htmx/htmx.min.js" ] && [ -f "$DEST/swagger-ui/swagger-ui-bundle.js" ] \
   && [ -f "$DEST/leaflet/leaflet.js" ] && [ -f "$DEST/leaflet/leaflet.css" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "vendor-assets: npm is required (Debian package npm)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$HTMX_VERSION" "swagger-ui-dist@$SWAGGER_VERSION" \
   "leaflet@$LEAFLET_VERSION" >/dev/null)
mkdir -p "$work/htmx" "$work/swagger" "$work/leaflet"
tar -xzf "$work"/htmx.org-*.tgz -C "$work/htmx"
tar -xzf "$work"/swagger-ui-dist-*.tgz -C "$work/swagger"
tar -xzf "$work"/leaflet-*.tgz -C "$work/leaflet"
rm -rf "$DEST/htmx" "$DEST/swagger-ui" "$DEST/leaflet"
mkdir -p "$DEST/htmx" "$DEST/swagger-ui" "$DEST/leaflet"
cp "$work/htmx/package/dist/htmx.min.js" "$work/htmx/package/LICENSE" "$DEST/htmx/"
for f in swagger-ui-bundle.js swagger-ui.css LICENSE; do
  cp "$work/swagger/package/$f" "$DEST/swagger-ui/"
done
# Leaflet (BSD-2-Clause): the map library only; Accord draws no external tiles.
cp "$work/leaflet/package/dist/leaflet.js" "$work/leaflet/package/dist/leaflet.css" \
   "$work/leaflet/package/LICENSE" "$DEST/leaflet/"
cp -R "$work/leaflet/package/dist/images" "$DEST/leaflet/images"
echo "$WANT" > "$STAMP"
echo "vendored $WANT into $DEST"
