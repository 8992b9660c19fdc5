#!/usr/bin/env bash
# Side-by-side comparison of canary-proxy with nginx and HAProxy doing the same job (sticky 10% user split, optional
# 10% mirror) on loopback. Read bench/COMPARE.md first. Every process it starts is stopped on exit.
#
#   bench/compare.sh                              # all scenarios, REPEATS=3, DURATION=8s
#   SCENARIOS="split" REPEATS=3 bench/compare.sh  # split only
#
# Environment (defaults in brackets):
#   SCENARIOS    space-separated subset of: split mirror stalled openloop tls tlshandshake h2  [all seven]
#                mirror, stalled: 10% mirrored to the shadow (stalled: one that never answers); canary-proxy-off,
#                the same build with the mirror off, runs in the same rounds, for the "kept" line (req/s on / off)
#                tls: TLS terminated by each proxy (same certificate), keep-alive clients: CPU per request;
#                tlshandshake: the same with Connection: close on every request: handshakes per second
#                h2: h2load -c 16 -m 16 over h2c through each proxy to an h2c backend: CPU per request, req/s
#   DURATION     wrk duration per measured run                              [8s]
#   WARMUP       unrecorded wrk runs per target before each scenario, in total [5s]
#   WARMUP_CYCLES  how many runs WARMUP is split into (each at least 1 s)     [5]
#   SETTLE       after its WARMUP, canary-proxy is warmed up further (2 s runs, 1 s idle between) until its JVM
#                has run this many seconds, so that measuring starts after the JIT's first-minute events [90s]
#                (0: no settling; see COMPARE.md, "Reading the table")
#   REPEATS      measured runs per target, targets alternate within a round [3]
#   CONNECTIONS  wrk / canary-bench connections                              [64]
#   JVM_FLAGS    canary-proxy JVM flags                   [the sidecar's, from config/k8s/sidecar.yaml]
#   JVM_ENV      canary-proxy's environment, NAME=VALUE words  [the sidecar's: MALLOC_ARENA_MAX=1]
#   RATE         open-loop rate; default: half of nginx's median req/s in the split scenario (or 5000)
#   OUT          directory that keeps the raw results and logs               [a temporary directory, removed]
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
PEERS="$HERE/peers"
SCENARIOS="${SCENARIOS:-split mirror stalled openloop tls tlshandshake h2}"
DURATION="${DURATION:-8s}"
WARMUP="${WARMUP:-5s}"
WARMUP_CYCLES="${WARMUP_CYCLES:-5}"
SETTLE="${SETTLE:-90s}"
REPEATS="${REPEATS:-3}"
CONNECTIONS="${CONNECTIONS:-64}"
# the sidecar's JAVA_TOOL_OPTIONS (one event loop, like this comparison), without the image's AppCDS archive
SIDECAR_FLAGS="-XX:+UseSerialGC -Xmx48m -Xmn4m -Xss256k -XX:MaxDirectMemorySize=16m -XX:MaxMetaspaceSize=32m"
SIDECAR_FLAGS+=" -XX:ReservedCodeCacheSize=16m -XX:TieredStopAtLevel=1 -XX:-UsePerfData"
SIDECAR_FLAGS+=" -Dio.netty.allocator.numDirectArenas=1 -Dio.netty.allocator.numHeapArenas=1 -Dio.netty.allocator.maxOrder=7 -Dio.netty.jfr.enabled=false"
JVM_FLAGS="${JVM_FLAGS:-$SIDECAR_FLAGS}"
# and the sidecar's environment (its other env entries in config/k8s/sidecar.yaml)
SIDECAR_ENV="MALLOC_ARENA_MAX=1"
JVM_ENV="${JVM_ENV-$SIDECAR_ENV}"
PROXY_JAR="${PROXY_JAR:-$ROOT/proxy/target/canary-proxy.jar}"
BENCH_JAR="${BENCH_JAR:-$ROOT/bench/target/canary-bench.jar}"
PORTS="18001 18002 18003 18004 18005 18006 18080 18081 18082 18083 18084 18085 18086 18090 18091 18092 18093 18094"
PORTS+=" 18095 18096 18097"

say() { printf '%s\n' "$*" >&2; }
die() { say "compare.sh: $*"; exit 2; }

seconds_of() { # 8s | 500ms | 2m -> seconds (integer, rounded up)
  case "$1" in
    *ms) echo $(( (${1%ms} + 999) / 1000 )) ;;
    *s) echo "${1%s}" ;;
    *m) echo $(( ${1%m} * 60 )) ;;
    *) die "duration: $1 (expected: e.g. 500ms, 8s, 2m)" ;;
  esac
}

# ---- prerequisites ----
missing=()
for tool in nginx haproxy wrk; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  die "missing ${missing[*]}: install with  apt-get install -y nginx-light haproxy wrk"
fi
for tool in java python3 curl openssl; do command -v "$tool" >/dev/null || die "missing $tool"; done
for jar in "$PROXY_JAR" "$BENCH_JAR"; do
  [[ -f "$jar" ]] || die "missing $jar: build it with  mvn -B -o install -DskipTests  (from $ROOT)"
done
[[ "$REPEATS" =~ ^[1-9][0-9]?$ ]] || die "REPEATS: $REPEATS (expected: 1..99)"
[[ "$WARMUP_CYCLES" =~ ^[1-9][0-9]?$ ]] || die "WARMUP_CYCLES: $WARMUP_CYCLES (expected: 1..99)"
DUR_S=$(seconds_of "$DURATION")
WARM_S=$(seconds_of "$WARMUP")
SETTLE_S=$(seconds_of "$SETTLE")
((SETTLE_S <= 600)) || die "SETTLE: $SETTLE (expected: 0s..10m)"
((DUR_S >= 1 && DUR_S <= 120)) || die "DURATION: $DURATION (expected: 1s..2m)"
for s in $SCENARIOS; do
  case "$s" in
    split | mirror | stalled | openloop | tls | tlshandshake) ;;
    h2) command -v h2load >/dev/null || die "missing h2load: install with  apt-get install -y nghttp2-client" ;;
    *) die "SCENARIOS: $s (expected: split mirror stalled openloop tls tlshandshake h2)" ;;
  esac
done
for port in $PORTS; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port 127.0.0.1:$port is in use; compare.sh needs $PORTS"
  fi
done

RUN="$(mktemp -d /tmp/canary-compare.XXXXXX)"
mkdir -p "$RUN/tmp"
RESULTS="$RUN/results.tsv"
: >"$RESULTS"
CLK_TCK=$(getconf CLK_TCK)
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "${OUT:-}" ]]; then
    mkdir -p "$OUT" && cp -r "$RUN"/. "$OUT"/ && say "raw results and logs kept in $OUT"
  fi
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD...: runs CMD in the background, logs to $RUN/NAME.log, sets STARTED to its pid
start() {
  local name="$1"
  shift
  "$@" >"$RUN/$name.log" 2>&1 &
  STARTED=$!
  PIDS+=("$STARTED")
}

stop() {
  local pid="$1" keep=() p
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [[ "$p" == "$pid" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

wait_ready() { # URL NAME PID: up to 20 s, polled every 20 ms
  local url="$1" name="$2" pid="$3" i
  for ((i = 0; i < 1000; i++)); do
    kill -0 "$pid" 2>/dev/null || { cat "$RUN/$name.log" >&2; die "$name exited during startup (log above)"; }
    if curl -s -f -k -o /dev/null --max-time 1 "$url"; then return 0; fi
    sleep 0.02
  done
  cat "$RUN/$name.log" >&2
  die "$name not ready at $url after 20 s"
}

wait_ready_h2() { # URL NAME PID: as wait_ready, over h2c by prior knowledge (the peers' h2 listeners speak no HTTP/1.1)
  local url="$1" name="$2" pid="$3" i
  for ((i = 0; i < 1000; i++)); do
    kill -0 "$pid" 2>/dev/null || { cat "$RUN/$name.log" >&2; die "$name exited during startup (log above)"; }
    if curl -s -f --http2-prior-knowledge -o /dev/null --max-time 1 "$url"; then return 0; fi
    sleep 0.02
  done
  cat "$RUN/$name.log" >&2
  die "$name not ready at $url after 20 s"
}

render() { # TEMPLATE SHADOWPORT -> config in $RUN
  sed -e "s#__RUN__#$RUN#g" -e "s#__SHADOW__#$2#g" "$PEERS/$1" >"$RUN/$1"
  echo "$RUN/$1"
}

tree() { echo "$1"; pgrep -P "$1" || true; }

cpu_ticks() { # user+sys clock ticks of a process and its children
  local total=0 p t
  for p in $(tree "$1"); do
    t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

peak_rss_kb() { # the largest VmHWM among a process and its children (nginx: its worker)
  local max=0 p v
  for p in $(tree "$1"); do
    v=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null) || v=0
    ((${v:-0} > max)) && max=$v
  done
  echo "$max"
}

now_ms() { date +%s%3N; }

# started SCENARIO TARGET PID T0: start-up (T0 to ready, ms) and RSS once ready, to startup.tsv
started() {
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$(($(now_ms) - $4))" "$(peak_rss_kb "$3")" >>"$RUN/startup.tsv"
}

# ---- processes ----
BACKEND_PID=""
start_backends() {
  start backend nginx -e "$RUN/backend.err" -p "$RUN" -c "$(render backend.conf 18003)"
  BACKEND_PID=$STARTED
  wait_ready http://127.0.0.1:18001/ backend "$BACKEND_PID"
  wait_ready http://127.0.0.1:18002/ backend "$BACKEND_PID"
  wait_ready http://127.0.0.1:18003/ backend "$BACKEND_PID"
}

start_nginx() { # SHADOWPORT SCENARIO -> NGINX_PID
  local t0
  t0=$(now_ms)
  start nginx nginx -e "$RUN/nginx.err" -p "$RUN" -c "$(render nginx-proxy.conf "$1")"
  NGINX_PID=$STARTED
  wait_ready http://127.0.0.1:18080/ nginx "$NGINX_PID"
  started "$2" nginx "$NGINX_PID" "$t0"
}

start_haproxy() { # SCENARIO
  local t0
  t0=$(now_ms)
  start haproxy haproxy -f "$(render haproxy.cfg 18003)"
  HAPROXY_PID=$STARTED
  wait_ready http://127.0.0.1:18081/ haproxy "$HAPROXY_PID"
  started "$1" haproxy "$HAPROXY_PID" "$t0"
}

# start_canary CONFIG PORT ADMINPORT SCENARIO [SCHEME [NAME]] -> CANARY_PID; start-up = process start to /readyz 200,
# recorded under NAME (default canary-proxy)
start_canary() {
  local t0
  t0=$(now_ms)
  # shellcheck disable=SC2086 # JVM_FLAGS is a list of flags
  local config="$1"
  [[ "$config" == /* ]] || config="$PEERS/$config"
  start "canary-$2" env $JVM_ENV java $JVM_FLAGS -jar "$PROXY_JAR" run --config "$config"
  CANARY_PID=$STARTED
  wait_ready "http://127.0.0.1:$3/readyz" "canary-$2" "$CANARY_PID"
  started "$4" "${6:-canary-proxy}" "$CANARY_PID" "$t0"
  wait_ready "${5:-http}://127.0.0.1:$2/" "canary-$2" "$CANARY_PID"
}

# ---- closed-loop runs with wrk ----
wrk_run() { # URL SECONDS OUTFILE
  wrk -t1 -c"$CONNECTIONS" -d"$2s" --timeout 2s --latency -s "$PEERS/users.lua" "$1" >"$3" 2>&1 || true
}

# warm_up RUNNER URL OUTFILE: the WARMUP seconds as up to WARMUP_CYCLES shorter runs (at least 1 s each), so that
# the connections are opened and closed several times, as every measured run opens and closes its own. One long run
# closes its connections only at its end: a JIT that compiled the hot path without the close and open paths throws
# that code away then (deoptimization) and the first measured run starts in slower code (canary-proxy: p99.9 up to
# 5x). Same for every target; the total stays WARMUP.
warm_up() {
  local runner="$1" url="$2" out="$3" cycles=$WARMUP_CYCLES c secs
  ((cycles > WARM_S)) && cycles=$WARM_S
  ((cycles < 1)) && cycles=1
  : >"$out"
  for ((c = 0; c < cycles; c++)); do
    secs=$((WARM_S / cycles + (c < WARM_S % cycles ? 1 : 0)))
    "$runner" "$url" "$secs" "$out.part"
    cat "$out.part" >>"$out"
  done
  rm -f "$out.part"
}

# settle RUNNER URL OUTFILE PID: more warm-up runs of 2 s, 1 s idle after each, until process PID has run SETTLE
# seconds. For canary-proxy only: in a JVM's first minute or so, events that happen for the first time (the first
# metrics interval roll and 60 s histogram rotation, the first idle timers falling due while the loop is busy, the
# loop going idle and busy again) hit uncommon traps in compiled code; HotSpot throws the hot path away and
# recompiles it, on the cores the measurement shares, and a round with that in it has a longer tail. A proxy that
# has run for a minute has been through all of them. nginx and HAProxy have no JIT: they are not settled.
settle() {
  local runner="$1" url="$2" out="$3" pid="$4" up
  ((SETTLE_S > 0)) && say "  settle canary-proxy ($url) until its JVM has run $SETTLE"
  while :; do
    up=$(ps -o etimes= -p "$pid" 2>/dev/null | tr -d ' ')
    [[ -n "$up" ]] && ((up < SETTLE_S)) || break
    "$runner" "$url" 2 "$out.part"
    cat "$out.part" >>"$out"
    sleep 1
  done
  rm -f "$out.part"
}

# measure SCENARIO "name url pid" ...: a warm-up per target, then REPEATS rounds with a rotating order
measure() {
  local scenario="$1"
  shift
  local targets=("$@") n=$# r i name url pid t0 t1 line
  for entry in "${targets[@]}"; do
    read -r name url pid <<<"$entry"
    say "  warm-up $name ($WARMUP in up to $WARMUP_CYCLES runs)"
    warm_up wrk_run "$url" "$RUN/warmup-$scenario-$name.txt"
  done
  for entry in "${targets[@]}"; do
    read -r name url pid <<<"$entry"
    [[ "$name" == canary-proxy* ]] || continue
    settle wrk_run "$url" "$RUN/warmup-$scenario-$name.txt" "$pid"
  done
  for ((r = 0; r < REPEATS; r++)); do
    for ((i = 0; i < n; i++)); do
      read -r name url pid <<<"${targets[$(((i + r) % n))]}"
      t0=$(cpu_ticks "$pid")
      wrk_run "$url" "$DUR_S" "$RUN/wrk-$scenario-$name-$r.txt"
      t1=$(cpu_ticks "$pid")
      line=$(grep '^COMPARE ' "$RUN/wrk-$scenario-$name-$r.txt" || true)
      if [[ -z "$line" ]]; then
        say "  $name round $((r + 1)): wrk printed no result:"
        cat "$RUN/wrk-$scenario-$name-$r.txt" >&2
        continue
      fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$name" "$((r + 1))" "$(((t1 - t0) * 1000 / CLK_TCK))" \
        "$(peak_rss_kb "$pid")" "${line#COMPARE }" >>"$RESULTS"
      say "  $name round $((r + 1)): ${line#COMPARE }"
    done
  done
}

mirror_works() { # ADMINPORT SHADOWLOG_LINES_BEFORE: validate passed already; true when the proxy mirrored
  local stats
  stats=$(curl -s --max-time 2 "http://127.0.0.1:$1/admin/stats" || true)
  python3 - "$stats" <<'EOF'
import json, sys
try:
    mirror = json.loads(sys.argv[1]).get("mirror")
except ValueError:
    sys.exit(1)
def numbers(v):
    if isinstance(v, dict):
        for x in v.values():
            yield from numbers(x)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        yield v
sys.exit(0 if isinstance(mirror, dict) and any(n > 0 for n in numbers(mirror)) else 1)
EOF
}

NGINX_SPLIT_RPS=""

scenario_split() {
  say "== split only: nginx :18080, HAProxy :18081, canary-proxy :18090 (JVM: $JVM_FLAGS)"
  start_nginx 18003 split
  start_haproxy split
  start_canary canary-split.yaml 18090 18091 split
  measure split "nginx http://127.0.0.1:18080/ $NGINX_PID" "haproxy http://127.0.0.1:18081/ $HAPROXY_PID" \
    "canary-proxy http://127.0.0.1:18090/ $CANARY_PID"
  NGINX_SPLIT_RPS=$(python3 "$HERE/compare_table.py" median-rps "$RESULTS" split nginx)
  stop "$CANARY_PID"
  stop "$HAPROXY_PID"
  stop "$NGINX_PID"
}

# scenario_mirror NAME CONFIG SHADOWPORT: nginx and canary-proxy mirroring to the shadow, and the same canary-proxy
# build with the mirror off (canary-split.yaml, :18090, same backends) as canary-proxy-off, in the same rounds, so
# that "kept" (req/s with the mirror on / off) is a same-run ratio
scenario_mirror() {
  local scenario="$1" config="$2" shadow="$3" blackhole="" off
  say "== $scenario: nginx :18082 and canary-proxy :18092 mirror 10% to the shadow on :$shadow;"
  say "   canary-proxy-off :18090 is the same build with the mirror off"
  if ! java -jar "$PROXY_JAR" validate --config "$PEERS/$config" >"$RUN/validate-$scenario.txt" 2>&1 \
    || ! grep -q mirror "$RUN/validate-$scenario.txt"; then
    say "  SKIPPED: this canary-proxy build does not accept the mirror section:"
    cat "$RUN/validate-$scenario.txt" >&2
    return 0
  fi
  if [[ "$shadow" == 18004 ]]; then
    local hold=$(((WARM_S + DUR_S * REPEATS) * 3 + SETTLE_S + 60))
    start blackhole python3 "$PEERS/blackhole.py" 18004 "$hold"
    blackhole=$STARTED
  fi
  start_nginx "$shadow" "$scenario"
  start_canary canary-split.yaml 18090 18091 "$scenario" http canary-proxy-off
  off=$CANARY_PID
  start_canary "$config" 18092 18093 "$scenario"
  wrk_run http://127.0.0.1:18092/ 2 "$RUN/probe-$scenario.txt"
  if ! mirror_works 18093; then
    local mirror
    mirror=$(curl -s --max-time 2 http://127.0.0.1:18093/admin/stats \
      | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin).get("mirror")))' 2>/dev/null || echo "?")
    say "  SKIPPED: canary-proxy validated the mirror section but /admin/stats shows no non-zero mirror counter"
    say "  after 2 s of load (\"mirror\": $mirror), so this build does not mirror yet"
  else
    # the order rotates from round to round, so neither canary-proxy leg always runs first
    measure "$scenario" "nginx http://127.0.0.1:18082/ $NGINX_PID" "canary-proxy http://127.0.0.1:18092/ $CANARY_PID" \
      "canary-proxy-off http://127.0.0.1:18090/ $off"
    curl -s --max-time 2 http://127.0.0.1:18093/admin/stats >"$RUN/stats-$scenario.json" || true
  fi
  stop "$CANARY_PID"
  stop "$off"
  stop "$NGINX_PID"
  [[ -z "$blackhole" ]] || stop "$blackhole"
}

# ---- TLS terminated by each proxy, the same certificate ----
tls_certificate() { # a P-256 certificate for 127.0.0.1 in $RUN: tls.crt, tls.key, and tls.pem (both, for HAProxy)
  [[ -f "$RUN/tls.pem" ]] && return 0
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$RUN/tls.key" -out "$RUN/tls.crt" >"$RUN/openssl.log" 2>&1 \
    || die "openssl could not make the test certificate (see $RUN/openssl.log)"
  cat "$RUN/tls.crt" "$RUN/tls.key" >"$RUN/tls.pem"
}

# scenario_tls NAME CLOSE: keep-alive clients (CLOSE=0) or a new connection and handshake per request (CLOSE=1)
scenario_tls() {
  local scenario="$1" t0
  say "== $scenario: TLS on nginx :18083, HAProxy :18084, canary-proxy :18094 (WRK_CLOSE=$2)"
  tls_certificate
  t0=$(now_ms)
  start nginx-tls nginx -e "$RUN/nginx-tls.err" -p "$RUN" -c "$(render nginx-tls.conf 18003)"
  local nginx=$STARTED
  wait_ready https://127.0.0.1:18083/ nginx-tls "$nginx"
  started "$scenario" nginx "$nginx" "$t0"
  t0=$(now_ms)
  start haproxy-tls haproxy -f "$(render haproxy-tls.cfg 18003)"
  local haproxy=$STARTED
  wait_ready https://127.0.0.1:18084/ haproxy-tls "$haproxy"
  started "$scenario" haproxy "$haproxy" "$t0"
  start_canary "$(render canary-tls.yaml 18003)" 18094 18095 "$scenario" https
  grep -o 'TLS [a-z]* ([^)]*)' "$RUN/canary-18094.log" | head -1 | sed 's/^/  canary-proxy: /' >&2 || true
  export WRK_CLOSE="$2"
  measure "$scenario" "nginx https://127.0.0.1:18083/ $nginx" \
    "haproxy https://127.0.0.1:18084/ $haproxy" "canary-proxy https://127.0.0.1:18094/ $CANARY_PID"
  unset WRK_CLOSE
  stop "$CANARY_PID"
  stop "$haproxy"
  stop "$nginx"
}

# ---- HTTP/2 on both sides: h2load through each proxy to an h2c backend ----
h2load_run() { # URL SECONDS OUTFILE
  h2load -c 16 -m 16 -t 1 -D "$2" "$1" >"$3" 2>&1 || true
}

# One tab-separated line per run in $RUN/h2.tsv: name, round, CPU ms of the proxy, requests succeeded, req/s,
# mean and max request time (h2load prints no percentiles).
scenario_h2() {
  say "== h2: h2load -c 16 -m 16 over h2c to nginx :18085, HAProxy :18086, canary-proxy :18096 (h2c backend :18005)"
  local t0 nginx haproxy
  t0=$(now_ms)
  start nginx-h2 nginx -e "$RUN/nginx-h2.err" -p "$RUN" -c "$(render nginx-h2.conf 18003)"
  nginx=$STARTED
  wait_ready_h2 http://127.0.0.1:18085/ nginx-h2 "$nginx"
  started h2 nginx "$nginx" "$t0"
  t0=$(now_ms)
  start haproxy-h2 haproxy -f "$(render haproxy-h2.cfg 18003)"
  haproxy=$STARTED
  wait_ready_h2 http://127.0.0.1:18086/ haproxy-h2 "$haproxy"
  started h2 haproxy "$haproxy" "$t0"
  start_canary canary-h2.yaml 18096 18097 h2
  local targets=("nginx http://127.0.0.1:18085/ $nginx" "haproxy http://127.0.0.1:18086/ $haproxy"
    "canary-proxy http://127.0.0.1:18096/ $CANARY_PID") n=3 r i name url pid c0 c1 out
  for entry in "${targets[@]}"; do
    read -r name url pid <<<"$entry"
    warm_up h2load_run "$url" "$RUN/h2-warmup-$name.txt"
  done
  settle h2load_run http://127.0.0.1:18096/ "$RUN/h2-warmup-canary-proxy.txt" "$CANARY_PID"
  : >"$RUN/h2.tsv"
  for ((r = 0; r < REPEATS; r++)); do
    for ((i = 0; i < n; i++)); do
      read -r name url pid <<<"${targets[$(((i + r) % n))]}"
      out="$RUN/h2-$name-$r.txt"
      c0=$(cpu_ticks "$pid")
      h2load_run "$url" "$DUR_S" "$out"
      c1=$(cpu_ticks "$pid")
      python3 - "$name" "$((r + 1))" "$(((c1 - c0) * 1000 / CLK_TCK))" "$out" >>"$RUN/h2.tsv" <<'PY'
import re, sys
name, rnd, cpu_ms, path = sys.argv[1:5]
text = open(path).read()
ok = re.search(r"requests: .* (\d+) succeeded", text)
rps = re.search(r"finished in [^,]+, ([\d.]+) req/s", text)
req = re.search(r"time for request:\s+(\S+)\s+(\S+)\s+(\S+)", text)
print("\t".join([name, rnd, cpu_ms, ok.group(1) if ok else "0", rps.group(1) if rps else "0",
                 req.group(3) if req else "?", req.group(2) if req else "?"]))
PY
      say "  $name round $((r + 1)): $(tail -1 "$RUN/h2.tsv")"
    done
  done
  stop "$CANARY_PID"
  stop "$haproxy"
  stop "$nginx"
  say "h2 (name, round, CPU ms, requests, req/s, mean, max; CPU ms per 1000 requests last):"
  awk -F'\t' '$4 > 0 { printf "  %-13s round %s: %8s req/s  mean %-8s max %-8s  %.1f CPU ms / 1000 req\n", $1, $2, $5, $6, $7, $3 * 1000 / $4 }' \
    "$RUN/h2.tsv" >&2
}

# ---- open loop with canary-bench ----
scenario_openloop() {
  local rate="${RATE:-}"
  if [[ -z "$rate" ]]; then
    rate=$(python3 -c "import sys; v = sys.argv[1]; print(int(float(v) / 2) if v else 5000)" "$NGINX_SPLIT_RPS")
  fi
  say "== open loop: canary-bench --rate $rate req/s (nginx split median: ${NGINX_SPLIT_RPS:-not measured}), direct vs proxies"
  start_nginx 18003 openloop
  start_haproxy openloop
  start_canary canary-split.yaml 18090 18091 openloop
  local targets=("direct http://127.0.0.1:18001/" "nginx http://127.0.0.1:18080/" "haproxy http://127.0.0.1:18081/"
    "canary-proxy http://127.0.0.1:18090/") n=4 r i name url json
  for entry in "${targets[@]}"; do # warms canary-proxy's JIT; the others do not need it but keep the order fair
    read -r name url <<<"$entry"
    warm_up wrk_run "$url" "$RUN/warmup-openloop-$name.txt"
  done
  settle wrk_run http://127.0.0.1:18090/ "$RUN/warmup-openloop-canary-proxy.txt" "$CANARY_PID"
  for ((r = 0; r < REPEATS; r++)); do
    for ((i = 0; i < n; i++)); do
      read -r name url <<<"${targets[$(((i + r) % n))]}"
      json="$RUN/openloop-$name-$r.json"
      java -Xmx256m -jar "$BENCH_JAR" --rate "$rate" --duration "$DURATION" --warmup 2s \
        --connections "$CONNECTIONS" --users 100000 --json "$json" --quiet "$url" >"$RUN/openloop-$name-$r.txt" 2>&1 \
        || say "  $name round $((r + 1)): canary-bench failed (see $json)"
      [[ -f "$json" ]] && printf 'openloop\t%s\t%s\t%s\n' "$name" "$((r + 1))" "$json" >>"$RUN/openloop.tsv"
      say "  $name round $((r + 1)) done"
    done
  done
  stop "$CANARY_PID"
  stop "$HAPROXY_PID"
  stop "$NGINX_PID"
}

say "compare.sh: loopback only; nginx 1 worker, HAProxy 1 thread, canary-proxy ioThreads 1"
say "  wrk -t1 -c$CONNECTIONS -d$DURATION --latency -s users.lua; warm-up $WARMUP per target (up to $WARMUP_CYCLES runs), canary-proxy settled to $SETTLE of uptime; REPEATS=$REPEATS"
say "  canary-proxy JVM flags: $JVM_FLAGS ($(java -version 2>&1 | head -1))"
start_backends
for s in $SCENARIOS; do
  case "$s" in
    split) scenario_split ;;
    mirror) scenario_mirror mirror canary-mirror.yaml 18003 ;;
    stalled) scenario_mirror stalled canary-mirror-stalled.yaml 18004 ;;
    openloop) scenario_openloop ;;
    tls) scenario_tls tls 0 ;;
    tlshandshake) scenario_tls tlshandshake 1 ;;
    h2) scenario_h2 ;;
  esac
done
echo
echo "canary-proxy JVM flags: $JVM_FLAGS; wrk -t1 -c$CONNECTIONS -d$DURATION; medians of $REPEATS runs"
python3 "$HERE/compare_table.py" table "$RESULTS" "$RUN/openloop.tsv" "$RUN/startup.tsv"
