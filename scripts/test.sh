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
schema_pid=""
cleanup() {
  if [ -n "$schema_pid" ]; then
    kill "$schema_pid" 2>/dev/null || true
  fi
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
    # the client compiler only, like the tests' own servers (tests/neo4j_infra.py): about
    # half the start-up time, and less server CPU over the suite's short queries
    NEO4J_JAVA_OPTS="-XX:TieredStopAtLevel=1 ${NEO4J_JAVA_OPTS:-}" bash infra/neo4j/neo4j.sh start --port "$port"
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
# workers without that module, and the module runs in one process of its own at the same
# time (its own app on its own SQLite copy, its own pytest temp folder, no Neo4j): it fills
# the cores the workers leave idle while they wait. Its output follows the workers'; the
# exit status is the first failure of the two.
SCHEMA_TESTS=tests/api/test_schemathesis.py
set +e
if [ "${#parallel[@]}" -gt 0 ] && [ "$#" -eq 0 ]; then
  schema_dir="$(mktemp -d)"
  "$PYTHON" -m pytest -p no:cacheprovider --basetemp="$schema_dir/tmp" "$SCHEMA_TESTS" > "$schema_dir/out.txt" 2>&1 &
  schema_pid=$!
  "$PYTHON" -m pytest "${parallel[@]}" --ignore="$SCHEMA_TESTS"
  rc=$?
  kill -0 "$schema_pid" 2>/dev/null && echo "[test] waiting for $SCHEMA_TESTS ..."
  wait "$schema_pid"
  rc2=$?
  schema_pid=""
  echo "[test] $SCHEMA_TESTS (one process, run alongside the workers):"
  cat "$schema_dir/out.txt"
  rm -rf "$schema_dir"
  [ "$rc" -eq 0 ] && rc=$rc2
else
  "$PYTHON" -m pytest "${parallel[@]}" "$@"
  rc=$?
fi
set -e
exit $rc
