#!/usr/bin/env bash
# AppCDS training run of the container image (see the Dockerfile). Usage:
#
#   docker/cds-train.sh java -XX:DumpLoadedClassList=LIST -jar JAR run --config docker/cds-training.yaml
#
# (the Dockerfile then dumps a static archive of LIST; -XX:ArchiveClassesAtExit=ARCHIVE works too, for a dynamic one)
# Starts the demo's backends (`JAR demo --load 0`, in a JVM of its own that writes no archive), runs the given
# command (the proxy, which writes the class list or the archive as it exits), waits for its /readyz, sends it 400 requests (users,
# cookies, a rule, the override header; 10% mirrored) and the admin requests a probe and a scrape make, waits for
# two analysis intervals, then stops it with SIGTERM (it drains and exits, writing the list or archive) and stops the demo.
# Needs only bash and the JRE: requests go through bash's /dev/tcp. Bounded: every wait stops after 40 s; the whole run
# took 90 s on a busy 2-core machine (load average 16; where that time went was not measured).
set -euo pipefail

(($# >= 3)) || { echo "usage: $0 java ... -jar JAR run --config CONFIG" >&2; exit 2; }
args=("$@")
jar=""
for ((i = 0; i < $#; i++)); do [[ "${args[i]}" == -jar ]] && jar="${args[i + 1]}"; done
[[ -n "$jar" ]] || { echo "$0: no -jar in the command" >&2; exit 2; }
PROXY=18480
ADMIN=18481
work="$(mktemp -d)"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# get PORT PATH [HEADER...]: one HTTP/1.1 request with Connection: close; prints the status line
get() {
  local port="$1" path="$2" req
  shift 2
  req="GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
  for h in "$@"; do req+="$h\r\n"; done
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf "$req\r\n" >&3
  local status
  IFS= read -r status <&3 || status=""
  cat <&3 >/dev/null || true
  exec 3<&- 3>&-
  printf '%s\n' "${status%$'\r'}"
}

wait_ok() { # PORT PATH PID: up to 40 s
  local i
  for ((i = 0; i < 400; i++)); do
    kill -0 "$3" 2>/dev/null || { echo "$0: process $3 exited during start-up" >&2; return 1; }
    [[ "$(get "$1" "$2" 2>/dev/null || true)" == *" 200"* ]] && return 0
    sleep 0.1
  done
  echo "$0: 127.0.0.1:$1$2 not ready after 40 s" >&2
  return 1
}

java -jar "$jar" demo --load 0 --listen 127.0.0.1:0 --admin 127.0.0.1:0 >"$work/demo.log" 2>&1 &
demo=$!
pids+=("$demo")
"$@" >"$work/training.log" 2>&1 &
proxy=$!
pids+=("$proxy")
for port in 19001 19002 19003; do wait_ok "$port" / "$demo" || { cat "$work/demo.log" >&2; exit 1; }; done
wait_ok "$ADMIN" /readyz "$proxy" || { cat "$work/training.log" >&2; exit 1; }

ok=0
for ((n = 0; n < 400; n++)); do
  case $((n % 8)) in
    0) s=$(get $PROXY "/api/items?n=$n" "Cookie: uid=user-$n") || s="" ;;
    1) s=$(get $PROXY / "x-beta-tester: true") || s="" ;;
    2) s=$(get $PROXY / "x-canary: canary") || s="" ;;
    3) s=$(get $PROXY /) || s="" ;;
    *) s=$(get $PROXY "/api/items/$n" "x-user-id: user-$n") || s="" ;;
  esac
  [[ "$s" == *" 200"* ]] && ok=$((ok + 1))
done
for path in /healthz /readyz /metrics /admin/rollout /admin/stats; do get $ADMIN "$path" >/dev/null || true; done
sleep 2 # two analysis intervals: the judge, the interval roll and the evidence feed run
get $ADMIN /metrics >/dev/null || true
echo "cds-train: $ok of 400 requests answered 200" >&2
((ok >= 300)) || { cat "$work/training.log" >&2; exit 1; }

kill -TERM "$proxy"
status=0
wait "$proxy" || status=$?
pids=("$demo")
# 143 = ended by SIGTERM, which the proxy turns into a drain and a normal exit (0)
((status == 0 || status == 143)) || { cat "$work/training.log" >&2; echo "$0: the proxy exited with $status" >&2; exit 1; }
