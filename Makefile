# chainmap — the two Quickstart commands live here.
PYTHON ?= python3

.PHONY: demo test install install-test lint bench bench-full

## Install and run the main job on the embedded SQLite store.
demo:
	$(PYTHON) -m pip install -q -e .
	bash scripts/build-web.sh
	chainmap demo

## Install the test extras (and Chromium, Neo4j jars) and run the whole suite.
test:
	bash scripts/test.sh

install:
	$(PYTHON) -m pip install -q -e .

install-test:
	$(PYTHON) -m pip install -q -e '.[test]'

lint:
	ruff check chainmap matching api tests benchmarks
	lint-imports

bench:
	$(PYTHON) -m pip install -q -e '.[bench]'
	command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || true
	$(PYTHON) -m benchmarks all --quick

bench-full:
	$(PYTHON) -m pip install -q -e '.[bench]'
	command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || true
	$(PYTHON) -m benchmarks all --full
