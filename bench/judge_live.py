#!/usr/bin/env python3
"""Live measurement of the rollout judge (issue 17): a real canary-proxy in front of two real stub backends
(separate `canary-bench backend` processes) on 127.0.0.1, driven by canary-bench at a fixed rate with 100,000
users, for a bounded time. The canary is held at its first step (10%) unless --advance, and the script reports
when the rollout left `progressing` and how many looks were PASS / FAIL / INCONCLUSIVE.

  python3 bench/judge_live.py --rate 200 --canary-latency 20ms --duration 120s          # 2x slower canary
  python3 bench/judge_live.py --rate 200 --canary-dist spike:10ms,0.02,200ms             # p99-only
  python3 bench/judge_live.py --rate 300 --duration 30m --interval 5s                    # A/A
  python3 bench/judge_live.py --rate 20 --advance --duration 5m                           # healthy, 20 req/s

It stops at a rollback (or, with --advance, at the first step advance), and prints one JSON line. Figures depend on
the machine's load: quote them with the load average it prints. Runs take their ports from the kernel before the
processes bind them, so two runs at once could take each other's ports: a second run waits for the first (a lock
file in the temporary directory) and says so.
"""
import argparse
import fcntl
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, limit=60.0):
    end = time.time() + limit
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"port {port} did not open")


def get(url):
    with urllib.request.urlopen(url, timeout=15) as r:
        return json.loads(r.read().decode())


def backend(args, port, dist, latency, errors, name):
    cmd = ["java", "-Xmx96m", "-XX:+UseSerialGC", "-jar", args.bench_jar, "backend", "--port", str(port),
           "--latency", latency, "--latency-dist", dist, "--error-rate", str(errors), "--variant-name", name]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate", type=int, required=True, help="requests/s through the proxy")
    p.add_argument("--duration", default="120s", help="longest run (canary-bench syntax: 90s, 30m)")
    p.add_argument("--interval", default="10s", help="rollout.analysis.interval")
    p.add_argument("--stable-latency", default="10ms")
    p.add_argument("--stable-dist", default="fixed")
    p.add_argument("--canary-latency", default="10ms")
    p.add_argument("--canary-dist", default="fixed")
    p.add_argument("--canary-errors", type=float, default=0.0)
    p.add_argument("--advance", action="store_true", help="steps [10, 50] with stepInterval 60s: time to advance")
    p.add_argument("--proxy-jar", default=os.path.join(ROOT, "proxy/target/canary-proxy.jar"))
    p.add_argument("--bench-jar", default=os.path.join(ROOT, "bench/target/canary-bench.jar"))
    p.add_argument("--label", default="")
    args = p.parse_args()

    lock = open(os.path.join(tempfile.gettempdir(), "canary-judge-live.lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("another judge_live.py run holds the lock; waiting for it to end", file=sys.stderr)
        fcntl.flock(lock, fcntl.LOCK_EX)
    seconds = int(args.duration[:-1]) * (60 if args.duration.endswith("m") else 1)
    ps, pc, listen, admin = free_port(), free_port(), free_port(), free_port()
    work = tempfile.mkdtemp(prefix="judge-live-")
    config = os.path.join(work, "proxy.yaml")
    steps, step_interval = ("[10, 50]", "60s") if args.advance else ("[10, 100]", "24h")
    with open(config, "w") as f:
        f.write(f"""listen: 127.0.0.1:{listen}
ioThreads: 1
admin:
  listen: 127.0.0.1:{admin}
backends:
  stable: {{ endpoints: ["127.0.0.1:{ps}"] }}
  canary: {{ endpoints: ["127.0.0.1:{pc}"] }}
routing:
  userKey:
    - header: x-user-id
  salt: "judge-live"
rollout:
  steps: {steps}
  stepInterval: {step_interval}
  analysis:
    interval: {args.interval}
  onFailure: rollback
  stateFile: {work}/state.json
""")
    procs = [backend(args, ps, args.stable_dist, args.stable_latency, 0, "stable"),
             backend(args, pc, args.canary_dist, args.canary_latency, args.canary_errors, "canary")]
    log = open(os.path.join(work, "proxy.log"), "w")
    procs.append(subprocess.Popen(["java", "-Xmx256m", "-XX:+UseSerialGC", "-jar", args.proxy_jar, "run",
                                   "--config", config], stdout=log, stderr=subprocess.STDOUT))
    result = {"label": args.label, "rate": args.rate, "interval": args.interval, "advance": args.advance,
              "stable": f"{args.stable_dist}/{args.stable_latency}",
              "canary": f"{args.canary_dist}/{args.canary_latency}/errors {args.canary_errors}",
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "loadavgBefore": os.getloadavg()[0]}
    try:
        for port in (ps, pc, listen, admin):
            wait_port(port)
        load = subprocess.Popen(["java", "-Xmx128m", "-XX:+UseSerialGC", "-jar", args.bench_jar, "--rate",
                                 str(args.rate), "--duration", args.duration, "--connections", "8", "--users",
                                 "100000", "--user-header", "x-user-id", "--quiet",
                                 f"http://127.0.0.1:{listen}/"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        procs.append(load)
        start = time.time()
        seen = {}
        event = None
        while time.time() - start < seconds + 5 and load.poll() is None:
            time.sleep(1)
            try:
                status = get(f"http://127.0.0.1:{admin}/admin/rollout")
            except OSError:  # a busy machine: the next poll will do
                continue
            for v in status.get("verdicts", []):
                seen[v["at"]] = v
            if args.advance and status.get("step", 0) > 0:
                event = ("stepAdvanced", time.time() - start, status.get("reason", ""))
                break
            if status["state"] not in ("progressing",):
                event = (status["state"], time.time() - start, status.get("reason", ""))
                break
        outcomes = [v["outcome"] for v in seen.values() if not v.get("ignored")]
        result.update({
            "seconds": round(time.time() - start, 1),
            "event": event[0] if event else None,
            "eventAtSeconds": round(event[1], 1) if event else None,
            "reason": event[2][:400] if event else None,
            "looks": len(outcomes),
            "pass": outcomes.count("PASS"), "fail": outcomes.count("FAIL"),
            "inconclusive": outcomes.count("INCONCLUSIVE"),
            # what the proxy saw: a rate far from --rate means the load generator fell behind (or, with
            # runs started together, another run took a port between free_port() and its bind)
            "achievedRate": (round(sum(max(seen.values(), key=lambda v: v["at"])["evidence"][k]
                                       for k in ("stableRequests", "canaryRequests"))
                                   / max(time.time() - start, 1), 1) if seen else None),
            "lastReason": (max(seen.values(), key=lambda v: v["at"])["reason"][:600] if seen else None),
            "loadavgAfter": os.getloadavg()[0],
        })
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
