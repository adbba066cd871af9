#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages:
#  - Debian's chromium + chromium-driver (browser tests; no browser download at run time)
#  - Neo4j Community jars from Maven Central (infra/neo4j, git-ignored), when Java and Maven exist
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# (grep reads fc-list's whole output: with -q it would stop at the first match, fc-list would
# die of SIGPIPE, and under pipefail the fonts would count as missing, so apt-get ran every time)
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
    || ! fc-list 2>/dev/null | grep -i "noto.*cjk" >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing Debian chromium, chromium-driver and fonts-noto-cjk ..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
  else
    echo "[setup] chromium/chromedriver missing and cannot apt-get (not root?): browser tests will be skipped" >&2
  fi
fi

if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
  bash "$here/infra/neo4j/neo4j.sh" fetch
else
  echo "[setup] java or mvn missing: Neo4j tests will be skipped (set CHAINMAP_REQUIRE_NEO4J=1 to fail instead)" >&2
fi
