#!/usr/bin/env bash
# gRPC unary calls per second and p99 latency, through canary-proxy vs direct, with the same client
# (issue 15). The server is grpc-java (GrpcBenchServer from the proxy's test classes, h2c, method
# test.Echo/Unary); the client is h2load (nghttp2-client) sending one length-prefixed gRPC message
# per call (POST, content-type application/grpc, te: trailers) over h2c, -c CONNS -m STREAMS, one
# thread; the proxy runs from the same build with one event loop and an h2c backend. Targets are
# measured in turn, REPEATS rounds each, SECONDS per run; p99 is read from h2load's per-request log.
# Each run also gives the CPU time (user + system, /proc) the server and the proxy used per 1,000
# calls the server received during the whole h2load run (its warm-up included): client, server and
# proxy share the machine's cores, so calls/s through the proxy falls with the load on them, while
# the proxy's CPU per call says what the proxy itself costs.
# "ok" is h2load's "succeeded" out of its "done": both are counted when a call's stream closes during
# the measured phase. Its "status codes" line is not used: it counts a status when the response head
# arrives, so a call whose head came before the warm-up ended and whose trailers came after counts as
# done but not as 2xx (its log line shows status 0), and one whose head came before the end and
# trailers after counts as 2xx but not done. Through the proxy a call's head and trailers can reach
# the client in two writes (the proxy flushes after each read from the backend), so that showed as
# one "non-2xx" call in some proxied rounds (issue 15); grpc-java alone sends them in one write.
# h2load sees only the HTTP status: the grpc-status check is the curl call before the rounds.
# Loopback only; ports from PORT_BASE (default 23100, below the kernel's ephemeral range so that no outgoing connection holds it). Needs `./mvnw -pl proxy test-compile` first.
#
#   bench/grpc_unary.sh   # env: SECONDS_PER_RUN=10 WARMUP_SECONDS=3 REPEATS=3 CONNS=16 STREAMS=16 PORT_BASE=23100
#                         #      PROXY_FLAGS='-XX:StartFlightRecording=...' (extra JVM flags for the proxy)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${SECONDS_PER_RUN:-10}
WARMUP=${WARMUP_SECONDS:-3}
REPEATS=${REPEATS:-3}
CONNS=${CONNS:-16}
STREAMS=${STREAMS:-16}
PORT_BASE=${PORT_BASE:-23100}
OUT=${OUT:-$(mktemp -d /tmp/grpc-unary.XXXXXX)}
mkdir -p "$OUT"
command -v h2load >/dev/null || { echo "missing h2load: apt-get install -y nghttp2-client" >&2; exit 1; }

CP_FILE="$OUT/classpath"
if ! ./mvnw -B -o -q -pl proxy org.apache.maven.plugins:maven-dependency-plugin:3.11.0:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" >/dev/null 2>&1; then
  # Offline without the dependency plugin's own dependencies: the test classpath the compiler
  # plugin prints in debug mode is the same list.
  ./mvnw -B -o -X -pl proxy test-compile -Djacoco.skip=true 2>/dev/null | grep -m1 '(f) testPath = \[' |
    sed 's/.*testPath = \[//; s/\]$//; s/, /:/g' >"$CP_FILE"
  [ -s "$CP_FILE" ] || { echo "could not find the proxy's test classpath" >&2; exit 1; }
fi
CP="proxy/target/test-classes:proxy/target/classes:$(cat "$CP_FILE")"

# The server, on a port of its own choosing (printed first), until its stdin closes.
mkfifo "$OUT/server.in"
java -Xmx256m -cp "$CP" io.canaryproxy.server.http2.GrpcBenchServer <"$OUT/server.in" >"$OUT/server.out" 2>"$OUT/server.err" &
SERVER=$!
exec 9>"$OUT/server.in"
for _ in $(seq 100); do [ -s "$OUT/server.out" ] && break; sleep 0.1; done
BACKEND=$(head -1 "$OUT/server.out")

PROXY_PORT=$PORT_BASE
cat >"$OUT/proxy.yaml" <<YAML
listen: 127.0.0.1:$PROXY_PORT
ioThreads: 1
admin:
  listen: 127.0.0.1:$((PORT_BASE + 1))
backends:
  stable: { endpoints: ["$BACKEND"], protocol: h2c }
  canary: { endpoints: ["$BACKEND"], protocol: h2c }
routing:
  canaryPercent: 0
  salt: "grpc-bench"
YAML
java -Xmx256m ${PROXY_FLAGS:-} -cp "$CP" io.canaryproxy.Main run --config "$OUT/proxy.yaml" >"$OUT/proxy.log" 2>&1 &
PROXY=$!
trap 'exec 9>&-; kill $PROXY 2>/dev/null; wait $SERVER $PROXY 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PROXY_PORT) 2>/dev/null && break; sleep 0.1; done
kill -0 $PROXY 2>/dev/null || { echo "the proxy did not start:" >&2; cat "$OUT/proxy.log" >&2; exit 1; }

# One gRPC message: not compressed, length 5, "hello" (the server's marshaller takes raw UTF-8).
printf '\x00\x00\x00\x00\x05hello' >"$OUT/body.bin"

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# The calls the server received so far (it prints the count for each line it reads).
calls() {
  local before
  before=$(wc -l <"$OUT/server.out")
  echo >&9
  for _ in $(seq 200); do [ "$(wc -l <"$OUT/server.out")" -gt "$before" ] && break; sleep 0.05; done
  tail -1 "$OUT/server.out"
}

run() { # NAME URL ROUND
  local log="$OUT/$1.$3.log" n0 n1 s0 s1 p0 p1
  n0=$(calls); s0=$(cpu_ticks $SERVER); p0=$(cpu_ticks $PROXY)
  h2load -c "$CONNS" -m "$STREAMS" -t 1 --warm-up-time="$WARMUP" -D "$SECS" -d "$OUT/body.bin" \
    -H 'content-type: application/grpc' -H 'te: trailers' --log-file="$log" "$2" >"$OUT/$1.$3.out" 2>&1
  s1=$(cpu_ticks $SERVER); p1=$(cpu_ticks $PROXY); n1=$(calls)
  python3 - "$1" "$3" "$OUT/$1.$3.out" "$log" "$((n1 - n0))" "$(((s1 - s0) * 1000 / CLK_TCK))" \
    "$(((p1 - p0) * 1000 / CLK_TCK))" <<'PY'
import re, sys
name, rnd, out, log, calls, server_ms, proxy_ms = sys.argv[1:]
calls, server_ms, proxy_ms = int(calls), int(server_ms), int(proxy_ms)
text = open(out).read()
rps = float(re.search(r"finished in [^,]+, ([\d.]+) req/s", text).group(1))
m = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, "
              r"(\d+) errored, (\d+) timeout", text)
done, ok, failed, errored, timeouts = (int(g) for g in m.groups())
d = sorted(int(l.split()[2]) for l in open(log) if l.strip())
p = lambda q: d[min(len(d) - 1, int(q * len(d)))] / 1000.0
per_k = lambda ms: f"{ms * 1000.0 / calls:6.1f}" if calls else "     ?"
proxy = per_k(proxy_ms) if name == "proxy" else "     -"
print(f"{name:6} round {rnd}: {rps:9.0f} calls/s  p50 {p(0.50):6.2f} ms  p99 {p(0.99):6.2f} ms  ok {ok}/{done}"
      f"  CPU ms per 1k calls: server {per_k(server_ms)} proxy {proxy}"
      + (f"  FAILED {failed} ({errored} errored, {timeouts} timeout)" if failed else ""))
PY
}

# A call through the proxy must end with grpc-status 0 (h2load only counts HTTP statuses).
if command -v curl >/dev/null; then
  curl -s -v --http2-prior-knowledge --data-binary @"$OUT/body.bin" -H 'content-type: application/grpc' \
    -H 'te: trailers' -o /dev/null "http://127.0.0.1:$PROXY_PORT/test.Echo/Unary" 2>"$OUT/curl.txt" || true
  grep -qi '< grpc-status: 0' "$OUT/curl.txt" || { echo "no grpc-status 0 through the proxy" >&2; cat "$OUT/curl.txt" >&2; exit 1; }
fi
echo "load before: $(uptime)"
for r in $(seq "$REPEATS"); do
  run direct "http://$BACKEND/test.Echo/Unary" "$r"
  run proxy "http://127.0.0.1:$PROXY_PORT/test.Echo/Unary" "$r"
done
echo "load after: $(uptime)"
echo "files: $OUT"
