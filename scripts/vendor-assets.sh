#!/usr/bin/env bash
# Copy the front-end libraries from npm into static/vendor/ (run by `make assets`).
set -euo pipefail
cd "$(dirname "$0")/.."
# --ignore-scripts: swagger-ui-dist depends on @scarf/scarf, whose install script reports to its makers
npm ci --no-audit --no-fund --silent --ignore-scripts
rm -rf static/vendor && mkdir -p static/vendor/leaflet static/vendor/swagger-ui static/vendor/uplot
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css static/vendor/leaflet/
cp -r node_modules/leaflet/dist/images static/vendor/leaflet/
cp node_modules/leaflet/LICENSE static/vendor/leaflet/LICENSE
# The API reference page (/api/v1/docs): Swagger UI's bundle and style sheet; our own starter is static/js/api-docs.js
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
   node_modules/swagger-ui-dist/LICENSE static/vendor/swagger-ui/
# The citizen-sensing charts (static/js/sensing-charts.js draws them over the server's SVG and data table)
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css node_modules/uplot/LICENSE \
   static/vendor/uplot/
echo "vendored: uplot $(node -p "require('./node_modules/uplot/package.json').version")"
echo "vendored: swagger-ui-dist $(node -p "require('./node_modules/swagger-ui-dist/package.json').version")"
echo "vendored: leaflet $(node -p "require('./node_modules/leaflet/package.json').version")"
