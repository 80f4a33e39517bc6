#!/usr/bin/env bash
# Copy the front-end libraries from npm into static/vendor/ (run by `make assets`).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --silent
rm -rf static/vendor && mkdir -p static/vendor/leaflet
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css static/vendor/leaflet/
cp -r node_modules/leaflet/dist/images static/vendor/leaflet/
cp node_modules/leaflet/LICENSE static/vendor/leaflet/LICENSE
echo "vendored: leaflet $(node -p "require('./node_modules/leaflet/package.json').version")"
