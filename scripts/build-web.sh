#!/usr/bin/env bash
# Copies the web app's front-end libraries from npm packages (web/package.json, pinned by
# web/package-lock.json) into api/static/vendor, which the package ships and the API serves
# locally: nothing is fetched from the internet when the app runs (government intranets).
# Idempotent; skips npm when the copied files are newer than the lock file.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$here/web"
out="$here/api/static/vendor"
stamp="$out/.built-from-lock"

# The chain-map layouts of the shipped seed, precomputed with Node + the vendored elkjs
# (scripts/precompute_layouts.py -> api/static/prelayout/): the first visitor after a server
# start then draws a chain at once instead of laying it out in the browser. Redone when the
# seed, the layout code or the vendored files are newer; a failure only costs that speed.
prelayout() {
  local pre="$here/api/static/prelayout" py="${PYTHON:-python3}"
  command -v "$py" >/dev/null 2>&1 || py=python
  if [ -f "$pre/.built" ] && [ -z "${CHAINMAP_WEB_REBUILD:-}" ] \
     && [ -z "$(find "$here/graph_seed" "$here/api/static/chainlayout.js" "$here/scripts/precompute_layouts.js" \
                   "$here/scripts/precompute_layouts.py" "$stamp" -newer "$pre/.built" -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  echo "[build-web] precomputing the chain-map layouts of the shipped seed ..."
  if PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "$py" "$here/scripts/precompute_layouts.py" --out "$pre" 2>&1 \
       | grep -v '^\[prelayout\] [a-z]' >&2; [ "${PIPESTATUS[0]}" -eq 0 ]; then
    touch "$pre/.built"
  else
    echo "[build-web] warning: no precomputed layouts (the page lays each chain out itself)" >&2
  fi
}

if [ -f "$stamp" ] && [ "$stamp" -nt "$web/package-lock.json" ] && [ -z "${CHAINMAP_WEB_REBUILD:-}" ]; then
  prelayout
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "[build-web] npm not found: the web app's charts, layout engine and offline API docs need it (install Node.js/npm)" >&2
  exit 1
fi
echo "[build-web] installing front-end packages from web/package-lock.json ..."
npm ci --prefix "$web" --no-audit --no-fund --legacy-peer-deps --ignore-scripts --loglevel=error >/dev/null

nm="$web/node_modules"
rm -rf "$out"
mkdir -p "$out/swagger-ui"
copy() { cp "$nm/$1" "$out/$2"; }
copy echarts/dist/echarts.min.js echarts.min.js
copy elkjs/lib/elk.bundled.js elk.bundled.js  # the layout on the page's thread (fallback; Node benchmark)
copy elkjs/lib/elk-api.js elk-api.js  # the page's ELK front: lays out in a Web Worker ...
copy elkjs/lib/elk-worker.min.js elk-worker.min.js  # ... running this file
copy jspdf/dist/jspdf.umd.min.js jspdf.umd.min.js
copy svg2pdf.js/dist/svg2pdf.umd.min.js svg2pdf.umd.min.js
copy redoc/bundles/redoc.standalone.js redoc.standalone.js
for f in swagger-ui-bundle.js swagger-ui.css swagger-ui-standalone-preset.js favicon-32x32.png; do
  copy "swagger-ui-dist/$f" "swagger-ui/$f"
done
# Licences travel with the copied files.
mkdir -p "$out/licenses"
for p in echarts elkjs jspdf svg2pdf.js redoc swagger-ui-dist; do
  for l in LICENSE LICENSE.md LICENSE.txt; do
    [ -f "$nm/$p/$l" ] && cp "$nm/$p/$l" "$out/licenses/$p-$l"
  done
done
touch "$stamp"
echo "[build-web] api/static/vendor ready ($(du -sh "$out" | cut -f1))"
prelayout
