#!/usr/bin/env python3
"""Memory, start-up and CPU of canary-proxy under a set of JVM flags (issue 20). Loopback only, bounded.

For each variant (a name and its JVM flags) and each round, variants alternating A B A B:
  1. start the proxy with the sidecar job (bench/peers/footprint-sidecar.yaml: one event loop, 10% mirror,
     a rollout running) in front of nginx backends (bench/peers/backend.conf, ports moved to 28001-28006, or FOOTPRINT_PORT_BASE+1..+6);
  2. start-up: process start (fork) to the first 200 from /readyz, polled every 5 ms;
  3. idle: VmRSS 3 s after ready, split into RssAnon and RssFile (and the thread names, to threads-VARIANT-ROUND.txt);
  4. load: canary-bench --rate RATE for WARMUP (not measured), then for DURATION; during the latter VmRSS sampled
     every 250 ms (median and max) and the proxy's user+sys CPU per 1,000 requests;
  5. saturation (unless --no-max): canary-bench --rate max --connections 64 for DURATION: req/s and CPU per 1k;
  6. peak: VmHWM at the end.

  python3 bench/footprint.py --rounds 2 --duration 20s \
      --variant 'default=' --variant 'sidecar=-Xmx24m -XX:+UseSerialGC'

A flag written env:NAME=VALUE sets an environment variable of the proxy instead (e.g. env:MALLOC_ARENA_MAX=2), and
config:FILE runs that variant with bench/peers/FILE instead of --config, jar:PATH with that jar instead of --proxy-jar,
java:PATH with that java binary instead of the one on PATH (e.g. java:/usr/lib/jvm/temurin-25-jdk-amd64/bin/java: the
load generator keeps PATH's java).
Prints one JSON line per run and a table of medians (with min..max) per variant. Needs nginx, java, the two jars.
"""
import argparse
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# FOOTPRINT_PORT_BASE moves every port (backends BASE+1..BASE+6, proxy BASE+90, admin BASE+91), so that two runs
# (or footprint.py and abuse.py) can share a machine
BASE = int(os.environ.get("FOOTPRINT_PORT_BASE", "28000"))
PORTS = {"__STABLE__": BASE + 1, "__CANARY__": BASE + 2, "__SHADOW__": BASE + 3, "__LISTEN__": BASE + 90,
         "__ADMIN__": BASE + 91}
# backend.conf's ports (compare.sh's) and where they move to
BACKEND_PORTS = {str(18000 + i): str(BASE + i) for i in range(1, 7)}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def render(template, run, extra=None):
    text = open(os.path.join(HERE, "peers", template)).read()
    subst = dict(extra or {})  # first, so that an extra key may name a placeholder
    subst.update({"__RUN__": run, **{k: str(v) for k, v in PORTS.items()}})
    for k, v in subst.items():
        text = text.replace(k, v)
    out = os.path.join(run, template)
    with open(out, "w") as f:
        f.write(text)
    return out


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def http_ok(url, timeout=0.5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status == 200
    except Exception:
        return False


def wait_ready(url, proc, limit=30.0, step=0.005):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before {url} answered")
        if http_ok(url, timeout=0.2):
            return
        time.sleep(step)
    raise RuntimeError(f"{url} not ready after {limit} s")


class Sampler(threading.Thread):
    """VmRSS of one process every 250 ms, in KiB."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stopped = pid, [], threading.Event()

    def run(self):
        while not self.stopped.wait(0.25):
            v = status_kb(self.pid, "VmRSS")
            if v:
                self.samples.append(v)


def bench(args, rate, connections, out_json, duration=None):
    cmd = ["java", "-Xmx256m", "-XX:+UseSerialGC", "-jar", args.bench_jar, "--rate", str(rate), "--duration",
           duration or args.duration, "--connections", str(connections), "--users", "100000",
           "--user-header", "x-user-id", "--timeout", "5s", "--json", out_json, "--quiet",
           f"http://127.0.0.1:{PORTS['__LISTEN__']}/"]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    with open(out_json) as f:
        return json.load(f)


def one_run(args, run, name, flags, rnd):
    words = shlex.split(flags)
    templates = [w[7:] for w in words if w.startswith("config:")]
    config = render(templates[-1] if templates else args.config, run)
    state = os.path.join(run, "rollout-state.json")
    if os.path.exists(state):
        os.remove(state)
    log = open(os.path.join(run, f"proxy-{name}-{rnd}.log"), "w")
    jars = [w[4:] for w in words if w.startswith("jar:")]
    javas = [w[5:] for w in words if w.startswith("java:")]
    words = [w for w in words if not w.startswith(("config:", "jar:", "java:"))]
    env = dict(os.environ, **dict(w[4:].split("=", 1) for w in words if w.startswith("env:")))
    jar = jars[-1] if jars else args.proxy_jar
    java = javas[-1] if javas else "java"
    cmd = [java, *[w for w in words if not w.startswith("env:")], "-jar", jar, "run", "--config", config]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=run, env=env)
    result = {"variant": name, "round": rnd, "flags": flags, "load1": os.getloadavg()[0]}
    try:
        wait_ready(f"http://127.0.0.1:{PORTS['__ADMIN__']}/readyz", proc)
        result["startupMs"] = round((time.monotonic() - t0) * 1000)
        result["startupCpuMs"] = round(cpu_ticks(proc.pid) * 1000 / CLK_TCK)
        time.sleep(3)
        result["idleRssKiB"] = status_kb(proc.pid, "VmRSS")
        # anonymous (heap, metaspace, relocated archives, malloc) and file-backed (libjvm, modules, mapped archives)
        result["idleRssAnonKiB"] = status_kb(proc.pid, "RssAnon")
        result["idleRssFileKiB"] = status_kb(proc.pid, "RssFile")
        tasks = os.listdir(f"/proc/{proc.pid}/task")
        result["threads"] = len(tasks)
        with open(os.path.join(args.out, f"threads-{name}-{rnd}.txt"), "w") as f:
            for t in sorted(tasks, key=int):
                try:
                    f.write(open(f"/proc/{proc.pid}/task/{t}/comm").read())
                except OSError:  # the thread ended since the listing (the JVM retires compiler threads)
                    pass
        if args.idle_only:
            result["peakRssKiB"] = status_kb(proc.pid, "VmHWM")
            return result
        # warm-up: its own canary-bench run, so neither the CPU nor the RSS figures include it (the JIT's work
        # shows in the start-up and warm-up, not in the per-request cost)
        bench(args, args.rate, 16, os.path.join(run, f"warmup-{name}-{rnd}.json"), args.warmup)
        sampler = Sampler(proc.pid)
        sampler.start()
        c0 = cpu_ticks(proc.pid)
        load = bench(args, args.rate, 16, os.path.join(run, f"load-{name}-{rnd}.json"))
        c1 = cpu_ticks(proc.pid)
        sampler.stopped.set()
        sampler.join()
        total = load["requests"]
        result.update(
            loadRssMedianKiB=int(statistics.median(sampler.samples)) if sampler.samples else 0,
            loadRssMaxKiB=max(sampler.samples, default=0),
            loadAchieved=load["achievedRate"], loadErrors=load["errors"],
            loadP99ms=load["corrected"]["p99"],
            loadCpuMsPer1k=round((c1 - c0) * 1000 / CLK_TCK / total * 1000, 1) if total else None,
        )
        if args.nmt:
            jcmd = os.path.join(os.path.dirname(java), "jcmd") if os.sep in java else "jcmd"  # the same JDK's
            nmt = subprocess.run([jcmd, str(proc.pid), "VM.native_memory", "summary"], capture_output=True,
                                 text=True, timeout=30).stdout
            with open(os.path.join(args.out, f"nmt-{name}-{rnd}.txt"), "w") as f:
                f.write(nmt)
        if not args.no_max:
            c0 = cpu_ticks(proc.pid)
            sat = bench(args, "max", 64, os.path.join(run, f"max-{name}-{rnd}.json"))
            c1 = cpu_ticks(proc.pid)
            result.update(maxRate=round(sat["achievedRate"]), maxErrors=sat["errors"],
                          maxCpuMsPer1k=round((c1 - c0) * 1000 / CLK_TCK / max(sat["requests"], 1) * 1000, 1))
        result["peakRssKiB"] = status_kb(proc.pid, "VmHWM")
        result["loadAfter1"] = os.getloadavg()[0]
        ooms = open(log.name).read().count("OutOfMemoryError")
        result["outOfMemoryErrors"] = ooms
        result["alive"] = proc.poll() is None
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        log.close()
    return result


def summarize(rows):
    keys = ["startupMs", "startupCpuMs", "idleRssKiB", "idleRssAnonKiB", "idleRssFileKiB", "loadRssMedianKiB", "loadRssMaxKiB", "peakRssKiB", "loadCpuMsPer1k", "maxRate",
            "maxCpuMsPer1k", "threads"]
    print("\nvariant | " + " | ".join(keys) + " | load1")
    for name in dict.fromkeys(r["variant"] for r in rows):
        rs = [r for r in rows if r["variant"] == name and "startupMs" in r]
        cells = []
        for k in keys:
            vs = [r[k] for r in rs if r.get(k) is not None]
            if not vs:
                cells.append("-")
                continue
            med = statistics.median(vs)
            if k.endswith("KiB"):
                cells.append(f"{med / 1024:.1f} ({min(vs) / 1024:.1f}..{max(vs) / 1024:.1f}) MiB")
            else:
                cells.append(f"{med:g} ({min(vs):g}..{max(vs):g})")
        load = [r["load1"] for r in rs]
        print(f"{name} | " + " | ".join(cells) + f" | {min(load, default=0):.1f}..{max(load, default=0):.1f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variant", action="append", required=True, help="NAME=JVM FLAGS (repeatable)")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--rate", type=int, default=1000)
    p.add_argument("--duration", default="20s")
    p.add_argument("--warmup", default="5s")
    p.add_argument("--config", default="footprint-sidecar.yaml")
    p.add_argument("--no-max", action="store_true", help="skip the saturation run")
    p.add_argument("--idle-only", action="store_true", help="only start-up and idle RSS")
    p.add_argument("--nmt", action="store_true", help="save jcmd VM.native_memory summary after the load run "
                                                         "(add -XX:NativeMemoryTracking=summary to the flags)")
    p.add_argument("--out", default=None, help="directory for the JSON lines and NMT summaries")
    p.add_argument("--proxy-jar", default=os.path.join(ROOT, "proxy/target/canary-proxy.jar"))
    p.add_argument("--bench-jar", default=os.path.join(ROOT, "bench/target/canary-bench.jar"))
    args = p.parse_args()
    if not 1 <= args.rounds <= 10:
        p.error(f"rounds: {args.rounds} (expected: 1..10)")
    variants = [v.split("=", 1) for v in args.variant]
    run = tempfile.mkdtemp(prefix="canary-footprint.")
    args.out = args.out or run
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(os.path.join(run, "tmp"), exist_ok=True)
    backend_conf = render("backend.conf", run, BACKEND_PORTS)
    backend = subprocess.Popen(["nginx", "-e", os.path.join(run, "backend.err"), "-p", run, "-c", backend_conf])
    rows = []
    try:
        for port in (PORTS["__STABLE__"], PORTS["__CANARY__"], PORTS["__SHADOW__"]):
            wait_ready(f"http://127.0.0.1:{port}/", backend)
        for rnd in range(1, args.rounds + 1):
            order = variants if rnd % 2 else list(reversed(variants))
            for name, flags in order:
                try:
                    row = one_run(args, run, name, flags, rnd)
                except Exception as e:  # one failed run must not lose the others
                    row = {"variant": name, "round": rnd, "flags": flags, "error": str(e)}
                rows.append(row)
                print(json.dumps(row), flush=True)
                with open(os.path.join(args.out, "runs.jsonl"), "a") as f:
                    f.write(json.dumps(row) + "\n")
    finally:
        backend.terminate()
        backend.wait()
    summarize(rows)


if __name__ == "__main__":
    sys.exit(main())
