#!/usr/bin/python3
"""WebSocket through canary-proxy vs direct (issue 14). Loopback only, bounded.

Starts a WebSocket echo server (python3-websockets, in its own process) and the proxy in front of it (one event loop,
stable and canary both the echo server), then, rounds alternating direct / proxy:
  1. ping-pong: CONNS connections each send a MESSAGE-byte text message and wait for its echo, for DURATION;
     reports messages/s (all connections) and the round-trip p50/p99/max in ms;
  2. idle tunnels (once, at the end): the proxy's VmRSS with one tunnel open, then with IDLE more tunnels open and
     idle (3 s after the last opened), and (RSS growth) / IDLE.

  /usr/bin/python3 bench/ws_bench.py --rounds 3 --duration 10s --conns 8 --idle 2000

Needs python3-websockets (apt), java and proxy/target/canary-proxy.jar. The client and the echo server are Python:
their own cost is in both columns, so only the difference between the columns is the proxy's.
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ECHO_PORT, LISTEN_PORT, ADMIN_PORT = 28101, 28190, 28191


def echo_server(port):
    async def echo(ws, path=None):
        async for msg in ws:
            await ws.send(msg)

    async def main():
        async with websockets.serve(echo, "127.0.0.1", port, max_size=1 << 20, ping_interval=None):
            await asyncio.Future()

    asyncio.run(main())


def seconds(text):
    return float(text[:-1]) if text.endswith("s") else float(text)


async def ping_pong(url, conns, duration, size):
    payload = "x" * size
    rtts = []
    deadline = time.perf_counter() + duration

    async def one():
        async with websockets.connect(url, max_size=1 << 20, ping_interval=None) as ws:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                await ws.send(payload)
                await ws.recv()
                rtts.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(conns)))
    elapsed = time.perf_counter() - start
    rtts.sort()
    ms = lambda q: round(rtts[min(len(rtts) - 1, int(q * len(rtts)))] * 1000, 3)
    return {"messages": len(rtts), "perSecond": round(len(rtts) / elapsed), "p50": ms(0.5), "p99": ms(0.99),
            "max": round(rtts[-1] * 1000, 3)}


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def idle_tunnels(url, n, pid):
    first = await websockets.connect(url, ping_interval=None)
    await first.send("warm")
    await first.recv()
    await asyncio.sleep(3)
    before = rss_kib(pid)
    opened = []
    for i in range(0, n, 100):  # in batches, so the proxy's accept backlog is not the limit
        opened += await asyncio.gather(*(websockets.connect(url, ping_interval=None, open_timeout=30)
                                         for _ in range(min(100, n - i))))
    await asyncio.sleep(3)
    after = rss_kib(pid)
    for ws in opened + [first]:
        await ws.close()
    return {"tunnels": n, "rssBeforeKiB": before, "rssAfterKiB": after,
            "bytesPerTunnel": round((after - before) * 1024 / n)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", default="10s")
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--size", type=int, default=64, help="message size in bytes")
    ap.add_argument("--idle", type=int, default=2000, help="idle tunnels for the memory figure (0: skip)")
    ap.add_argument("--proxy-jar", default=os.path.join(ROOT, "proxy/target/canary-proxy.jar"))
    ap.add_argument("--jvm", default="-Xmx128m", help="JVM flags of the proxy")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    server = multiprocessing.Process(target=echo_server, args=(ECHO_PORT,), daemon=True)
    server.start()
    run = tempfile.mkdtemp(prefix="ws-bench-")
    config = os.path.join(run, "proxy.yaml")
    with open(config, "w") as f:
        f.write(f"""listen: 127.0.0.1:{LISTEN_PORT}
admin: {{ listen: 127.0.0.1:{ADMIN_PORT} }}
ioThreads: 1
backends:
  stable: {{ endpoints: ["127.0.0.1:{ECHO_PORT}"], maxConnections: 100000 }}
  canary: {{ endpoints: ["127.0.0.1:{ECHO_PORT}"], maxConnections: 100000 }}
routing: {{ userKey: [ {{ header: x-user-id }} ], canaryPercent: 0 }}
limits: {{ maxClientConnections: 100000 }}
""")
    proxy = subprocess.Popen(["java", *args.jvm.split(), "-jar", args.proxy_jar, "run", "--config", config],
                             stdout=open(os.path.join(run, "proxy.log"), "w"), stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{ADMIN_PORT}/readyz", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("the proxy did not become ready; see " + run)
        targets = {"direct": f"ws://127.0.0.1:{ECHO_PORT}/", "proxy": f"ws://127.0.0.1:{LISTEN_PORT}/"}
        asyncio.run(ping_pong(targets["proxy"], args.conns, 2, args.size))  # warm-up, not reported
        results = {"direct": [], "proxy": []}
        for r in range(args.rounds):
            for name in ("direct", "proxy"):
                res = asyncio.run(ping_pong(targets[name], args.conns, seconds(args.duration), args.size))
                res.update(round=r, target=name)
                print(json.dumps(res), flush=True)
                results[name].append(res)
        print(f"\n{'':8} {'msg/s':>14} {'p50 ms':>16} {'p99 ms':>16}   (median, min..max over {args.rounds} rounds)")
        for name, rs in results.items():
            col = lambda k: f"{statistics.median(x[k] for x in rs):g} ({min(x[k] for x in rs):g}..{max(x[k] for x in rs):g})"
            print(f"{name:8} {col('perSecond'):>14} {col('p50'):>16} {col('p99'):>16}")
        if args.idle:
            print(json.dumps(asyncio.run(idle_tunnels(targets["proxy"], args.idle, proxy.pid))), flush=True)
    finally:
        proxy.terminate()
        proxy.wait(30)
        server.terminate()


if __name__ == "__main__":
    main()
