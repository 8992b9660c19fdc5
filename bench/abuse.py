#!/usr/bin/env python3
"""Bounded memory under abuse (issue 20), one measurement per scenario, loopback only, every count bounded.

Each scenario starts a fresh canary-proxy with --flags (the sidecar job of bench/peers/footprint-sidecar.yaml) and
reports its VmRSS before, its peak (VmHWM) against --limit-mib, whether it is still alive and how many
OutOfMemoryError lines it logged:

  idle      5,000 keep-alive client connections, each after one request, held 10 s: RSS, heap (after a full GC)
            and Netty direct memory per connection held (past limits.maxClientConnections, 3,072 with -Xmx48m,
            the proxy closes new connections at once: counted as closedByLimit)
  backend   500 concurrent requests to a 200 ms backend, then idle: the same figures per pooled backend connection
  inflight  1,000 requests held in flight by a 3 s backend: the same per request (client and backend
            connection included)
  slow      one 1 GiB response (a sparse file served by nginx) to a client that reads 64 KiB every 10 ms for 20 s
  stalled   1,000 req/s for 20 s with the 10% mirror sent to a shadow that accepts and never answers
  reload    100 config reloads (SIGHUP, each awaited on canary_proxy_config_reloads_total) under 200 req/s

  python3 bench/abuse.py --limit-mib 96 --flags '-Xmx32m -XX:+UseSerialGC ...' [--scenario idle ...]
"""
import argparse
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import footprint as fp  # noqa: E402

P = fp.PORTS
P.update({k: v + 200 for k, v in P.items()})  # 282xx: may run beside bench/footprint.py (RSS only, then)
LISTEN, ADMIN = P["__LISTEN__"], P["__ADMIN__"]
SLOW_BACKEND, BLACKHOLE = fp.BASE + 204, fp.BASE + 205
# backend.conf's ports: stable/canary/shadow as above, its two h2c servers beside them
BACKEND_PORTS = {"18001": str(P["__STABLE__"]), "18002": str(P["__CANARY__"]), "18003": str(P["__SHADOW__"]),
                 "18005": str(fp.BASE + 206), "18006": str(fp.BASE + 207)}


def metric(name, labels=""):
    with urllib.request.urlopen(f"http://127.0.0.1:{ADMIN}/metrics", timeout=5) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        # the name exactly: canary_proxy_client_connections is also the start of ..._rejected_total
        if line.startswith((name + "{", name + " ")) and labels in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def heap_used_kib(pid):
    """Heap in use after a full collection (jcmd GC.run, then GC.heap_info), in KiB."""
    subprocess.run(["jcmd", str(pid), "GC.run"], capture_output=True, timeout=60)
    info = subprocess.run(["jcmd", str(pid), "GC.heap_info"], capture_output=True, text=True, timeout=60).stdout
    return sum(int(k) for k in re.findall(r"used (\d+)K", info.split("Metaspace")[0]))


def footprint(pid):
    return {"rssKiB": fp.status_kb(pid, "VmRSS"), "heapKiB": heap_used_kib(pid),
            "directKiB": int(metric("canary_proxy_netty_allocator_memory_used", 'memory_type="direct"') / 1024)}


def per_unit(before, after, n):
    return {k.replace("KiB", "BytesPer"): round((after[k] - before[k]) * 1024 / n) for k in before}


def wait_port(port, proc, limit=30.0):
    """Until PORT accepts a connection (a delayed stub backend answers no quick GET)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {limit} s")


def connect_many(n, request=True):
    """N connections, each after one request answered; returns (open ones, how many the proxy closed at once:
    past limits.maxClientConnections it accepts and closes a connection before reading it)."""
    socks, closed = [], 0
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", LISTEN), timeout=10)
        if request:
            data = b""
            try:
                s.sendall(f"GET / HTTP/1.1\r\nhost: x\r\nx-user-id: u{i}\r\n\r\n".encode())
                while b"\r\n\r\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionError:
                pass
            if b"\r\n\r\n" not in data:
                s.close()
                closed += 1
                continue
        socks.append(s)
    return socks, closed


def scenario_idle(args, proc, out):
    before = footprint(proc.pid)
    socks, closed = connect_many(5000)
    time.sleep(10)
    after = footprint(proc.pid)
    out.update(connections=len(socks), closedByLimit=closed, before=before, after=after,
               perConnection=per_unit(before, after, max(len(socks), 1)),
               clientConnectionsGauge=metric("canary_proxy_client_connections"),
               rejectedTotal=metric("canary_proxy_client_connections_rejected_total"))
    for s in socks:
        s.close()


def load(args, rate, seconds, connections=16, url_port=LISTEN, timeout="10s"):
    return subprocess.Popen(
        ["java", "-Xmx128m", "-XX:+UseSerialGC", "-jar", args.bench_jar, "--rate", str(rate), "--duration",
         f"{seconds}s", "--connections", str(connections), "--users", "100000", "--timeout", timeout, "--quiet",
         "--json", os.path.join(args.run, f"abuse-load-{time.monotonic_ns()}.json"), f"http://127.0.0.1:{url_port}/"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def scenario_backend(args, proc, out):
    before = footprint(proc.pid)
    b0 = metric("canary_proxy_backend_connections")
    load(args, "max", 8, connections=500).wait(timeout=120)
    time.sleep(2)
    n = metric("canary_proxy_backend_connections") - b0
    after = footprint(proc.pid)
    out.update(backendConnections=n, before=before, after=after, perBackendConnection=per_unit(before, after, n))


def scenario_inflight(args, proc, out):
    before = footprint(proc.pid)
    gen = load(args, "max", 12, connections=1000, timeout="20s")
    # every connection has one request outstanding on the 3 s backend once all 1,000 are open (a busy machine
    # may take seconds to open them), then one more second for the requests to reach the backend
    deadline = time.monotonic() + 30
    while metric("canary_proxy_client_connections") < 1000 and time.monotonic() < deadline:
        time.sleep(0.25)
    time.sleep(1)
    during = {"rssKiB": fp.status_kb(proc.pid, "VmRSS"),
              "directKiB": int(metric("canary_proxy_netty_allocator_memory_used", 'memory_type="direct"') / 1024)}
    clients = metric("canary_proxy_client_connections")
    gen.wait(timeout=120)
    out.update(inFlightClients=clients, before=before, during=during,
               perRequestInFlight={"rssBytesPer": round((during["rssKiB"] - before["rssKiB"]) * 1024 / 1000),
                                   "directBytesPer": round((during["directKiB"] - before["directKiB"]) * 1024 / 1000)})


def scenario_slow(args, proc, out):
    s = socket.create_connection(("127.0.0.1", LISTEN), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    s.sendall(b"GET /big HTTP/1.1\r\nhost: x\r\n\r\n")
    got, end, head = 0, time.monotonic() + 20, b""
    while time.monotonic() < end:
        chunk = s.recv(64 * 1024)
        if not chunk:
            break
        if got == 0:
            head = chunk.split(b"\r\n", 1)[0]
        got += len(chunk)
        time.sleep(0.01)
    during = {"rssKiB": fp.status_kb(proc.pid, "VmRSS"), "heapKiB": heap_used_kib(proc.pid),
              "directKiB": int(metric("canary_proxy_netty_allocator_memory_used", 'memory_type="direct"') / 1024)}
    s.close()
    assert head.startswith(b"HTTP/1.1 200"), head
    out.update(status=head.decode(), bytesRead=got, during=during, directKiBAfter=int(metric("canary_proxy_netty_allocator_memory_used",
                                                        'memory_type="direct"') / 1024))


def scenario_stalled(args, proc, out):
    gen = load(args, 1000, 20)
    gen.wait(timeout=120)
    out.update(mirrorInFlightCap="mirror.maxInFlight default 256")


def scenario_reload(args, proc, out):
    gen = load(args, 200, 120)
    ok0 = metric("canary_proxy_config_reloads_total", 'outcome="success"')
    text = open(args.config).read()
    done = 0
    try:
        for i in range(100):
            with open(args.config + ".new", "w") as f:
                f.write(text.replace('salt: "bench-salt"', f'salt: "bench-salt-{i}"'))
            os.replace(args.config + ".new", args.config)
            os.kill(proc.pid, signal.SIGHUP)
            end = time.monotonic() + 10
            while metric("canary_proxy_config_reloads_total", 'outcome="success"') < ok0 + i + 1:
                if time.monotonic() > end:
                    raise RuntimeError(f"reload {i + 1} not applied within 10 s")
                time.sleep(0.02)
            done += 1
    finally:
        gen.send_signal(signal.SIGTERM)
        gen.wait(timeout=60)
        out.update(reloads=done, afterHeapKiB=heap_used_kib(proc.pid))


SCENARIOS = {"idle": scenario_idle, "backend": scenario_backend, "inflight": scenario_inflight,
             "slow": scenario_slow, "stalled": scenario_stalled, "reload": scenario_reload}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--flags", required=True, help="canary-proxy JVM flags; env:NAME=VALUE sets an environment variable, "
                                                      "java:PATH the java binary (default: PATH's)")
    p.add_argument("--limit-mib", type=int, required=True, help="the container limit the peak is compared with")
    p.add_argument("--scenario", action="append", choices=sorted(SCENARIOS), help="default: all")
    p.add_argument("--max-client-connections", type=int, help="limits.maxClientConnections for the proxy (default: "
                                                                "the proxy's, max heap / 16 KiB)")
    p.add_argument("--proxy-jar", default=os.path.join(fp.ROOT, "proxy/target/canary-proxy.jar"))
    p.add_argument("--bench-jar", default=os.path.join(fp.ROOT, "bench/target/canary-bench.jar"))
    args = p.parse_args()
    run = args.run = tempfile.mkdtemp(prefix="canary-abuse.")
    os.chmod(run, 0o755)  # nginx's worker (nobody) serves the 1 GiB file from here
    os.makedirs(os.path.join(run, "tmp"))
    with open(os.path.join(run, "big"), "wb") as f:  # sparse: no disk used
        f.truncate(1 << 30)
    backend_conf = fp.render("backend.conf", run, BACKEND_PORTS)
    with open(backend_conf) as f:
        conf = f.read()
    stable = P["__STABLE__"]
    conf = conf.replace(f"  server {{ listen 127.0.0.1:{stable}; location / {{ return 200 \"stable\\n\"; }} }}",
                        f"  server {{ listen 127.0.0.1:{stable}; location = /big {{ root {run}; }}"
                        " location / { return 200 \"stable\\n\"; } }")
    assert "location = /big" in conf, "backend.conf changed: no place for the 1 GiB response"
    with open(backend_conf, "w") as f:
        f.write(conf)
    procs = [subprocess.Popen(["nginx", "-e", os.path.join(run, "backend.err"), "-p", run, "-c", backend_conf])]
    results = []
    try:
        for port in (P["__STABLE__"], P["__CANARY__"], P["__SHADOW__"]):
            fp.wait_ready(f"http://127.0.0.1:{port}/", procs[0])
        for sc in args.scenario or list(SCENARIOS):
            extra = {}
            if sc in ("backend", "inflight"):  # the stable backend is a canary-bench stub with a delay
                delay = "200ms" if sc == "backend" else "3s"
                stub = subprocess.Popen(["java", "-Xmx128m", "-jar", args.bench_jar, "backend", "--port",
                                         str(SLOW_BACKEND), "--latency", delay], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
                procs.append(stub)
                wait_port(SLOW_BACKEND, stub)
                extra["127.0.0.1:__STABLE__"] = f"127.0.0.1:{SLOW_BACKEND}"
                extra["127.0.0.1:__CANARY__"] = f"127.0.0.1:{SLOW_BACKEND}"
            if sc == "stalled":
                hole = subprocess.Popen(["python3", os.path.join(fp.HERE, "peers", "blackhole.py"), str(BLACKHOLE),
                                         "60"])
                procs.append(hole)
                time.sleep(0.5)
                extra["127.0.0.1:__SHADOW__"] = f"127.0.0.1:{BLACKHOLE}"
            args.config = fp.render("footprint-sidecar.yaml", run, extra)
            if args.max_client_connections:
                with open(args.config, "a") as f:
                    f.write(f"limits:\n  maxClientConnections: {args.max_client_connections}\n")
            log_path = os.path.join(run, f"proxy-{sc}.log")
            with open(log_path, "w") as log:
                words = shlex.split(args.flags)
                env = dict(os.environ, **dict(w[4:].split("=", 1) for w in words if w.startswith("env:")))
                javas = [w[5:] for w in words if w.startswith("java:")]
                jvm = [w for w in words if not w.startswith(("env:", "java:"))]
                proc = subprocess.Popen([javas[-1] if javas else "java", *jvm, "-jar", args.proxy_jar, "run", "--config", args.config],
                                        stdout=log, stderr=subprocess.STDOUT, cwd=run, env=env)
                out = {"scenario": sc, "limitMiB": args.limit_mib}
                try:
                    fp.wait_ready(f"http://127.0.0.1:{ADMIN}/readyz", proc, limit=120.0)  # a busy machine
                    out["rssBeforeKiB"] = fp.status_kb(proc.pid, "VmRSS")
                    SCENARIOS[sc](args, proc, out)
                except Exception as e:
                    out["error"] = str(e)
                out["peakRssMiB"] = round(fp.status_kb(proc.pid, "VmHWM") / 1024, 1)
                out["underLimit"] = out["peakRssMiB"] < args.limit_mib
                out["alive"] = proc.poll() is None
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            text = open(log_path).read()
            out["outOfMemoryErrors"] = text.count("OutOfMemoryError")
            out["exceptions"] = sorted(set(re.findall(r"\b[a-zA-Z.]+(?:Exception|Error)\b", text)))[:8]
            print(json.dumps(out), flush=True)
            results.append(out)
            for extra_proc in procs[1:]:
                extra_proc.terminate()
                extra_proc.wait()
            del procs[1:]
    finally:
        for pr in procs:
            pr.terminate()
            pr.wait()
    return 0 if all(r.get("alive") and r.get("underLimit") and not r.get("outOfMemoryErrors") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
