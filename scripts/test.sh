#!/usr/bin/env bash
# The whole test suite: install test extras, set up Chromium and Neo4j, run pytest.
# If no Neo4j answers at $NEO4J_URI, a private one is started on a free port and stopped afterwards.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
PYTHON="${PYTHON:-python3}"

"$PYTHON" -m pip install -q -e '.[test]'
bash scripts/build-web.sh  # after the install: it precomputes the seed's chain-map layouts with chainmap
bash scripts/setup-test-env.sh

started_port=""
cleanup() {
  if [ -n "$started_port" ]; then
    bash infra/neo4j/neo4j.sh stop --port "$started_port" || true
  fi
}
trap cleanup EXIT

export NEO4J_URI="${NEO4J_URI:-bolt://127.0.0.1:7687}"
if ! "$PYTHON" scripts/bolt_ping.py "$NEO4J_URI" >/dev/null 2>&1; then
  if command -v java >/dev/null 2>&1 && [ -d infra/neo4j/lib ]; then
    port="$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    echo "[test] starting Neo4j on port $port ..."
    bash infra/neo4j/neo4j.sh start --port "$port"
    started_port="$port"
    export NEO4J_URI="bolt://127.0.0.1:$port"
  fi
fi

mkdir -p artifacts
# two workers (PYTEST_WORKERS; 0 = one process), a test module at a time each, so that the
# browser's and Neo4j's waits overlap with other tests; the second worker runs its own Neo4j
# (tests/conftest.py), since every Neo4j test empties the database it uses
workers="${PYTEST_WORKERS:-2}"
parallel=()
if [ "$workers" != "0" ]; then
  parallel=(-n "$workers" --dist loadfile)
fi
# schemathesis's tests are one item per API operation that only runs in one process: under
# pytest-xdist they report 3 passes without calling the API. So the whole suite runs on the
# workers without that module, then the module alone in one process.
SCHEMA_TESTS=tests/api/test_schemathesis.py
set +e
if [ "${#parallel[@]}" -gt 0 ] && [ "$#" -eq 0 ]; then
  "$PYTHON" -m pytest "${parallel[@]}" --ignore="$SCHEMA_TESTS"
  rc=$?
  "$PYTHON" -m pytest "$SCHEMA_TESTS"
  rc2=$?
  [ "$rc" -eq 0 ] && rc=$rc2
else
  "$PYTHON" -m pytest "${parallel[@]}" "$@"
  rc=$?
fi
set -e
exit $rc
