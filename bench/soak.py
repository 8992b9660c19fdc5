#!/usr/bin/env python3
"""Soak of canary-proxy's sticky split at a fixed share of its measured maximum (issue 13). Loopback only, bounded.

  1. nginx backends (bench/peers/backend.conf) and canary-proxy with the split job (bench/peers/canary-split.yaml:
     one event loop, 10% canary), both moved to the 28xxx ports of footprint.py, the proxy under --flags (default:
     the container image's flags) plus a GC log;
  2. the maximum: canary-bench --rate max --connections 64 for --max-duration after a warm-up of the same length
     (or --max-rate N to skip it); then --warmup (60 s) at the soak's rate, outside every window;
  3. the soak: canary-bench --rate (fraction x maximum) for --duration, cut into windows of --window; per window
     the proxy's VmRSS (median and max, sampled every 250 ms), its user+sys CPU per 1,000 requests, the GC pauses
     logged in the window (p99 and max) and the corrected p99 latency;
  4. the verdict the issue asks for: the last window against the first, each figure within --tolerance (10%).

  python3 bench/soak.py                              # 20 minutes at 50% of the maximum, windows of 5 minutes
  python3 bench/soak.py --duration 2m --window 1m   # a short smoke run

A container with a memory limit makes the JVM size its heap from the limit and, below 1,792 MB, pick SerialGC;
outside a container pass both, e.g. the ingress manifest's 512Mi:
  --flags "-XX:+UseSerialGC -XX:MaxRAM=512m -XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError -XX:MaxDirectMemorySize=64m ..."
(-XX:MaxRAM alone caps the heap but leaves G1 on a 2-CPU host with more memory).

Prints one JSON line per window and a first-vs-last table; --out keeps the GC log, the proxy log and runs.jsonl.
Needs nginx, java and the two jars (./mvnw -B package -DskipTests).
"""
import argparse
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import footprint as fp

IMAGE_FLAGS = "-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError"
MOVED = {"18001": "28001", "18002": "28002", "18003": "28003", "18090": "28090", "18091": "28091"}
PAUSE = re.compile(r"\bPause\b.*?([0-9.]+)ms$")


def seconds(text):
    m = re.fullmatch(r"(\d+)(ms|s|m|h)", text)
    if not m:
        raise argparse.ArgumentTypeError(f"{text} (expected e.g. 90s, 5m, 1h)")
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def load(args, rate, connections, duration_s, out_json, warmup_s=0):
    """One canary-bench run; its warm-up (same JVM, same connections) is excluded from its figures."""
    cmd = ["java", "-Xmx256m", "-XX:+UseSerialGC", "-jar", args.bench_jar, "--rate", str(rate),
           "--duration", f"{int(duration_s)}s", "--warmup", f"{int(warmup_s)}s", "--connections", str(connections),
           "--users", "100000", "--timeout", "5s", "--json", out_json, "--quiet",
           f"http://127.0.0.1:{fp.PORTS['__LISTEN__']}/"]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=duration_s + warmup_s + 120,
                   check=True)
    with open(out_json) as f:
        return json.load(f)


def pauses(gc_log, skip_lines):
    """The pause times (ms) logged after the first skip_lines lines, and the log's line count."""
    with open(gc_log) as f:
        lines = f.read().splitlines()
    found = [float(m.group(1)) for m in (PAUSE.search(line) for line in lines[skip_lines:]) if m]
    return found, len(lines)


def percentile(values, q):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def window(args, proc, gc_log, rate, n, gc_lines):
    if n == 1:  # the JIT's and the pools' warm-up at the soak's rate, outside every window
        load(args, rate, 64, args.warmup, os.path.join(args.out, "warmup.json"))
        _, gc_lines = pauses(gc_log, 0)
    sampler = fp.Sampler(proc.pid)
    sampler.start()
    c0 = fp.cpu_ticks(proc.pid)
    # Every window is a new load-generator JVM: its first seconds (JIT, connections) fall behind the schedule and
    # their corrected latency is the generator's, not the proxy's, so each window starts with a short warm-up at the
    # soak's rate that its latency figures exclude. The CPU ticks cover the warm-up too: its requests are counted.
    result = load(args, rate, 64, args.window, os.path.join(args.out, f"window-{n}.json"), args.window_warmup)
    c1 = fp.cpu_ticks(proc.pid)
    sampler.stopped.set()
    sampler.join()
    found, gc_lines = pauses(gc_log, gc_lines)
    requests = result["requests"]
    served = requests + round(result["achievedRate"] * args.window_warmup)  # what the CPU ticks paid for
    row = {
        "window": n,
        "requests": requests,
        "achievedRate": round(result["achievedRate"], 1),
        "errors": result["errors"],
        "p99ms": result["corrected"]["p99"],
        "rssMedianMiB": round(statistics.median(sampler.samples) / 1024, 1) if sampler.samples else None,
        "rssMaxMiB": round(max(sampler.samples, default=0) / 1024, 1),
        "cpuMsPer1k": round((c1 - c0) * 1000 / fp.CLK_TCK / served * 1000, 2) if requests else None,
        "gcPauses": len(found),
        "gcPauseP99ms": round(percentile(found, 0.99), 3),
        "gcPauseMaxMs": round(max(found, default=0.0), 3),
        "load1": round(os.getloadavg()[0], 2),
    }
    return row, gc_lines


def verdict(first, last, tolerance):
    print(f"\nfirst vs last window (flat = within {tolerance:.0%}; the GC pause p99 is also flat when both are "
          "under 1 ms)")
    print("figure | first | last | last/first | flat")
    flat_all = True
    for key in ("rssMedianMiB", "cpuMsPer1k", "gcPauseP99ms", "p99ms", "achievedRate"):
        a, b = first.get(key), last.get(key)
        if not a or b is None:
            print(f"{key} | {a} | {b} | - | -")
            continue
        ratio = b / a
        flat = abs(ratio - 1) <= tolerance or (key == "gcPauseP99ms" and max(a, b) < 1.0)
        flat_all &= flat or key == "p99ms"  # latency is reported, the flatness is RSS, GC and CPU
        print(f"{key} | {a} | {b} | {ratio:.3f} | {'yes' if flat else 'NO'}")
    return flat_all


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=seconds, default=seconds("20m"))
    p.add_argument("--window", type=seconds, default=seconds("5m"))
    p.add_argument("--fraction", type=float, default=0.5, help="share of the measured maximum [0.5]")
    p.add_argument("--max-rate", type=int, default=None, help="skip measuring the maximum")
    p.add_argument("--max-duration", type=seconds, default=seconds("15s"), help="and as long a warm-up before it")
    p.add_argument("--warmup", type=seconds, default=seconds("60s"), help="at the soak's rate, before window 1")
    p.add_argument("--window-warmup", type=seconds, default=seconds("10s"),
                   help="each window's load generator starts with this much load outside its latency figures [10s]")
    p.add_argument("--tolerance", type=float, default=0.10)
    p.add_argument("--flags", default=IMAGE_FLAGS, help=f"the proxy's JVM flags [{IMAGE_FLAGS}]")
    p.add_argument("--out", default=None)
    p.add_argument("--proxy-jar", default=os.path.join(fp.ROOT, "proxy/target/canary-proxy.jar"))
    p.add_argument("--bench-jar", default=os.path.join(fp.ROOT, "bench/target/canary-bench.jar"))
    args = p.parse_args()
    if not 0 < args.fraction <= 1:
        p.error(f"fraction: {args.fraction} (expected: (0, 1])")
    if not 10 <= args.window <= args.duration <= 3 * 3600:
        p.error("expected 10s <= window <= duration <= 3h")
    run = tempfile.mkdtemp(prefix="canary-soak.")
    args.out = args.out or run
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(os.path.join(run, "tmp"), exist_ok=True)
    backend = subprocess.Popen(["nginx", "-e", os.path.join(run, "backend.err"), "-p", run, "-c",
                                fp.render("backend.conf", run, MOVED)])
    gc_log = os.path.join(args.out, "gc.log")
    config = fp.render("canary-split.yaml", run, MOVED)
    cmd = ["java", *shlex.split(args.flags), f"-Xlog:gc:file={gc_log}", "-jar", args.proxy_jar, "run", "--config",
           config]
    proxy_log = open(os.path.join(args.out, "proxy.log"), "w")
    proxy = None
    try:
        for port in (28001, 28002, 28003):
            fp.wait_ready(f"http://127.0.0.1:{port}/", backend)
        proxy = subprocess.Popen(cmd, stdout=proxy_log, stderr=subprocess.STDOUT, cwd=run)
        fp.wait_ready(f"http://127.0.0.1:{fp.PORTS['__ADMIN__']}/readyz", proxy)
        if args.max_rate:
            maximum = args.max_rate
        else:
            result = load(args, "max", 64, args.max_duration, os.path.join(args.out, "max.json"), args.max_duration)
            maximum = round(result["achievedRate"])
        rate = max(1, int(maximum * args.fraction))
        print(json.dumps({"maximum": maximum, "rate": rate, "flags": args.flags}), flush=True)
        _, gc_lines = pauses(gc_log, 0)
        rows = []
        for n in range(1, int(args.duration // args.window) + 1):
            row, gc_lines = window(args, proxy, gc_log, rate, n, gc_lines)
            row["alive"] = proxy.poll() is None
            rows.append(row)
            print(json.dumps(row), flush=True)
            with open(os.path.join(args.out, "runs.jsonl"), "a") as f:
                f.write(json.dumps(row) + "\n")
            if not row["alive"]:
                raise RuntimeError(f"the proxy exited with {proxy.returncode} (see {proxy_log.name})")
        flat = verdict(rows[0], rows[-1], args.tolerance)
        print(f"\nflat: {'yes' if flat else 'NO'}; OutOfMemoryError in the log: "
              f"{open(proxy_log.name).read().count('OutOfMemoryError')}; kept in {args.out}")
        return 0 if flat else 1
    finally:
        if proxy is not None:
            proxy.send_signal(signal.SIGKILL)
            proxy.wait()
        proxy_log.close()
        backend.terminate()
        backend.wait()


if __name__ == "__main__":
    sys.exit(main())
