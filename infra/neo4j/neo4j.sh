#!/usr/bin/env bash
# Real Neo4j Community 5.26 (embedded, Bolt only) for chainmap's tests, no Docker.
#
#   neo4j.sh fetch                                    download the jars into lib/ (idempotent)
#   neo4j.sh start [--port N] [--data DIR] [--keep-data]
#                                                     start in the background, wait for READY,
#                                                     print the bolt URI on stdout
#   neo4j.sh stop [--port N]                          stop by PID (ok if not running)
#   neo4j.sh status [--port N]                        exit 0 if running, 3 if not
#
# Port: --port, else $NEO4J_BOLT_PORT, else 7687.  Data: --data, else run/data-<port>,
# wiped on every start unless --keep-data.  Log: run/neo4j-<port>.log, PID: run/neo4j-<port>.pid.
# Environment: NEO4J_JAVA (java binary, default `java`, must be 17 or 21),
#              NEO4J_HEAP (max JVM heap, default 2g), NEO4J_PAGECACHE (default 512m),
#              NEO4J_SETTINGS (extra Neo4j settings, "key=value" separated by ';' or newlines),
#              NEO4J_JAVA_OPTS (extra JVM flags, last wins: e.g. -Xmx6g), NEO4J_START_TIMEOUT
#              (seconds, default 120).
# Messages go to stderr; only the URI (start/status) goes to stdout.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIB="$HERE/lib"
RUN="$HERE/run"
MARKER="$LIB/.fetch-complete"
DATA_MARKER=".chainmap-neo4j-data"
JAVA="${NEO4J_JAVA:-java}"
START_TIMEOUT="${NEO4J_START_TIMEOUT:-120}"
HEAP="${NEO4J_HEAP:-2g}"
PAGECACHE="${NEO4J_PAGECACHE:-512m}"

# Flags Neo4j's own server launcher passes (see neo4j.conf server.jvm.additional).
JVM_FLAGS=(
  -Xms256m "-Xmx$HEAP"
  -XX:+ExitOnOutOfMemoryError
  -XX:-OmitStackTraceInFastThrow
  -Djdk.nio.maxCachedBufferSize=1024
  -Dio.netty.tryReflectionSetAccessible=true
  -Dlog4j2.disable.jmx=true
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
)

# Neo4j settings (besides the page cache) written for every start; see README "Memory".
# Transaction state off the heap (less for the GC to copy in a bulk load), without its own
# 2 GiB cap: big transactions are bounded by dbms.memory.transaction.total.max (default
# 70% of the heap) and fail with MemoryPoolOutOfMemoryError rather than kill the JVM.
SETTINGS=(
  "db.tx_state.memory_allocation=OFF_HEAP"
  "server.memory.off_heap.transaction_max_size=0"
  "db.tx_log.rotation.retention_policy=1 files"
  "db.tx_log.rotation.size=1m"
  "db.checkpoint.interval.time=30s"
)

log() { echo "neo4j.sh: $*" >&2; }
die() { echo "neo4j.sh: ERROR: $*" >&2; exit 1; }

usage() {
  sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

pom_hash() { sha256sum "$HERE/pom.xml" | cut -d' ' -f1; }

lib_complete() {
  [[ -f "$MARKER" ]] && [[ "$(cat "$MARKER")" == "$(pom_hash)" ]]
}

cmd_fetch() {
  if lib_complete; then
    log "lib/ already complete ($(find "$LIB" -name '*.jar' | wc -l) jars), skipping fetch"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn (Maven) not found on PATH; install it (apt-get install maven)"
  local tmp="$HERE/target/lib.partial" try delay=10
  local t0=$SECONDS
  mkdir -p "$HERE/target"
  for try in 1 2 3; do
    rm -rf "$tmp"
    log "fetching Neo4j jars with Maven (try $try/3)..."
    if mvn -B -q -f "$HERE/pom.xml" \
        -Dmaven.wagon.http.retryHandler.count=5 \
        -Dmaven.wagon.httpconnectionManager.ttlSeconds=25 \
        -Daether.connector.http.retryHandler.count=5 \
        dependency:copy-dependencies -DoutputDirectory="$tmp" > "$HERE/target/fetch.log" 2>&1; then
      rm -rf "$LIB"
      mv "$tmp" "$LIB"
      pom_hash > "$MARKER"
      log "fetched $(find "$LIB" -name '*.jar' | wc -l) jars ($(du -sh "$LIB" | cut -f1)) in $((SECONDS - t0)) s"
      return 0
    fi
    tail -n 20 "$HERE/target/fetch.log" >&2 || true
    if (( try < 3 )); then
      log "Maven failed (Maven Central may be rate limiting); retrying in ${delay} s"
      sleep "$delay"
      delay=$((delay * 3))
    fi
  done
  rm -rf "$tmp"
  die "could not fetch the Neo4j jars after 3 tries"
}

check_java() {
  command -v "$JAVA" >/dev/null || die "java not found ('$JAVA'); Java 17 is needed"
  local v major
  v="$("$JAVA" -version 2>&1 | head -1 | sed -E 's/.*version "([^"]+)".*/\1/')"
  major="${v%%.*}"
  [[ "$major" =~ ^[0-9]+$ ]] || die "cannot read the Java version from '$JAVA -version'"
  if [[ "$major" != 17 && "$major" != 21 ]]; then
    die "Neo4j 5.26 needs Java 17 or 21, but '$JAVA' is $v (set NEO4J_JAVA)"
  fi
}

# Parsed options
PORT="${NEO4J_BOLT_PORT:-7687}"
DATA=""
KEEP_DATA=0

parse_opts() {
  local allow_data="$1"; shift
  while (($#)); do
    case "$1" in
      --port) [[ $# -ge 2 ]] || die "--port needs a value"; PORT="$2"; shift 2 ;;
      --port=*) PORT="${1#*=}"; shift ;;
      --data|--data=*|--keep-data)
        [[ "$allow_data" == 1 ]] || die "$1 is only valid for start"
        case "$1" in
          --data) [[ $# -ge 2 ]] || die "--data needs a value"; DATA="$2"; shift 2 ;;
          --data=*) DATA="${1#*=}"; shift ;;
          --keep-data) KEEP_DATA=1; shift ;;
        esac ;;
      -h|--help) usage ;;
      *) die "unknown option: $1" ;;
    esac
  done
  [[ "$PORT" =~ ^[0-9]+$ ]] && (( PORT > 0 && PORT < 65536 )) || die "bad port: $PORT"
  PIDFILE="$RUN/neo4j-$PORT.pid"
  LOGFILE="$RUN/neo4j-$PORT.log"
  CONFFILE="$RUN/neo4j-$PORT.conf"
  URI="bolt://127.0.0.1:$PORT"
}

# PID from the pid file if that process is alive and is our launcher, else empty.
running_pid() {
  [[ -f "$PIDFILE" ]] || return 0
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'Launcher'; then
    echo "$pid"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Neo4j settings for Launcher.java (neo4j.conf syntax); NEO4J_SETTINGS entries come last and win.
write_settings() {
  {
    echo "# written by neo4j.sh start; read by Launcher.java"
    echo "server.memory.pagecache.size=$PAGECACHE"
    printf '%s\n' "${SETTINGS[@]}"
    if [[ -n "${NEO4J_SETTINGS:-}" ]]; then
      tr ';' '\n' <<< "$NEO4J_SETTINGS" | sed -e 's/^[[:space:]]*//' -e '/^$/d'
    fi
  } > "$CONFFILE"
}

cmd_start() {
  parse_opts 1 "$@"
  mkdir -p "$RUN"
  local pid
  pid="$(running_pid)"
  [[ -z "$pid" ]] || die "already running on port $PORT (pid $pid); run: $0 stop --port $PORT"
  rm -f "$PIDFILE"
  port_in_use "$PORT" && die "port $PORT on 127.0.0.1 is already in use by another process"

  check_java
  lib_complete || cmd_fetch

  [[ -n "$DATA" ]] || DATA="$RUN/data-$PORT"
  mkdir -p "$DATA"
  DATA="$(cd "$DATA" && pwd)"
  if [[ "$KEEP_DATA" == 0 ]]; then
    # Only wipe a folder this script created (marker) or an empty one.
    if [[ -f "$DATA/$DATA_MARKER" || -z "$(ls -A "$DATA")" ]]; then
      find "$DATA" -mindepth 1 -delete
    else
      die "refusing to wipe $DATA: not created by neo4j.sh (no $DATA_MARKER); use an empty folder or --keep-data"
    fi
  fi
  touch "$DATA/$DATA_MARKER"

  [[ "$HEAP" =~ ^[0-9]+[kKmMgG]?$ ]] || die "bad NEO4J_HEAP: $HEAP (e.g. 2g, 6g, 1536m)"
  [[ "$PAGECACHE" =~ ^[0-9]+[kKmMgG]?$ ]] || die "bad NEO4J_PAGECACHE: $PAGECACHE (e.g. 512m, 2g)"
  write_settings

  local opts=()
  if [[ -n "${NEO4J_JAVA_OPTS:-}" ]]; then read -r -a opts <<< "$NEO4J_JAVA_OPTS"; fi
  log "starting Neo4j on $URI (data $DATA$([[ $KEEP_DATA == 1 ]] && echo ', kept'), log $LOGFILE)"
  local t0=$SECONDS
  # The previous run's log says READY too: remove it before the wait below reads the file
  # (otherwise a restart on the same port can return before the new server listens).
  rm -f "$LOGFILE"
  (
    cd "$HERE"
    exec nohup "$JAVA" "${JVM_FLAGS[@]}" ${opts[@]+"${opts[@]}"} -cp "$LIB/*" \
      "$HERE/Launcher.java" "$PORT" "$DATA" "$CONFFILE" > "$LOGFILE" 2>&1 < /dev/null
  ) &
  pid=$!
  echo "$pid" > "$PIDFILE"

  while :; do
    if grep -q '^NEO4J READY' "$LOGFILE" 2>/dev/null; then
      log "ready after $((SECONDS - t0)) s (pid $pid)"
      echo "$URI"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDFILE"
      log "Neo4j exited before it was ready; last lines of $LOGFILE:"
      tail -n 40 "$LOGFILE" >&2 || true
      exit 1
    fi
    if (( SECONDS - t0 >= START_TIMEOUT )); then
      log "not ready after $START_TIMEOUT s; last lines of $LOGFILE:"
      tail -n 40 "$LOGFILE" >&2 || true
      kill "$pid" 2>/dev/null || true
      sleep 5
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$PIDFILE"
      exit 1
    fi
    sleep 0.5
  done
}

cmd_stop() {
  parse_opts 0 "$@"
  local pid i
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$PIDFILE"
    log "not running on port $PORT"
    return 0
  fi
  log "stopping Neo4j on port $PORT (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 120; i++)); do   # 60 s for a clean shutdown (checkpoint)
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after 60 s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && die "pid $pid would not die"
  fi
  rm -f "$PIDFILE"
  log "stopped"
}

cmd_status() {
  parse_opts 0 "$@"
  local pid
  pid="$(running_pid)"
  if [[ -n "$pid" ]] && grep -q '^NEO4J READY' "$LOGFILE" 2>/dev/null; then
    log "running on port $PORT (pid $pid)"
    echo "$URI"
    return 0
  elif [[ -n "$pid" ]]; then
    log "starting on port $PORT (pid $pid), not ready yet"
    return 3
  fi
  log "not running on port $PORT"
  return 3
}

(($#)) || usage
cmd="$1"; shift
case "$cmd" in
  fetch) (($# == 0)) || die "fetch takes no options"; cmd_fetch ;;
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  status) cmd_status "$@" ;;
  -h|--help|help) usage ;;
  *) die "unknown command: $cmd (use fetch, start, stop or status)" ;;
esac
