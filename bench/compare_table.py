"""Summarises bench/compare.sh results: medians per scenario and target, with ratios against nginx.

Usage: compare_table.py table RESULTS.tsv [OPENLOOP.tsv [STARTUP.tsv]]  |  compare_table.py median-rps RESULTS.tsv SCENARIO TARGET
"""
import json
import os
import statistics
import sys

ORDER = ["split", "mirror", "stalled", "tls", "tlshandshake"]
TITLES = {
    "split": "split only",
    "mirror": "split + 10% mirror",
    "stalled": "split + 10% mirror, shadow stalled",
    "tls": "split behind TLS, keep-alive clients (same certificate)",
    "tlshandshake": "split behind TLS, a new connection and handshake per request (req/s = handshakes/s)",
}


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            scenario, target, rnd, cpu_ms, rss_kb, fields = line.rstrip("\n").split("\t")
            kv = dict(item.split("=") for item in fields.split())
            requests = int(kv["requests"])
            seconds = int(kv["duration_us"]) / 1e6
            rows.setdefault((scenario, target), []).append(
                {
                    "round": int(rnd),
                    "rps": requests / seconds if seconds else 0,
                    "p50": int(kv["p50_us"]) / 1000,
                    "p99": int(kv["p99_us"]) / 1000,
                    "p999": int(kv["p999_us"]) / 1000,
                    "errors": int(kv["errors"]),
                    "cpu": int(cpu_ms) * 1000 / requests if requests else float("nan"),
                    "rss": int(rss_kb) / 1024,
                }
            )
    return rows


def load_startup(path):
    """(scenario, target) -> (start-up ms, RSS KiB once ready), from compare.sh's startup.tsv."""
    out = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                scenario, target, ms, rss_kb = line.rstrip("\n").split("\t")
                out[(scenario, target)] = (int(ms), int(rss_kb))
    return out


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def ratio(a, b):
    return f"{a / b:.2f}" if b else "-"


def kept(on, off):
    """The mirror's cost, round by round: canary-proxy (mirror on) against canary-proxy-off in the same round."""
    off_by_round = {r["round"]: r for r in off}
    pairs = [(r, off_by_round[r["round"]]) for r in sorted(on, key=lambda r: r["round"]) if r["round"] in off_by_round]
    rps = [a["rps"] / b["rps"] for a, b in pairs if b["rps"]]
    cpu = [b["cpu"] / a["cpu"] for a, b in pairs if a["cpu"] and a["cpu"] == a["cpu"]]
    if not rps:
        return None

    def summary(values):
        return (f"{statistics.median(values):.3f} median, {min(values):.3f}..{max(values):.3f} "
                f"(rounds: {', '.join(f'{v:.3f}' for v in values)})")

    text = f"req/s on / off {summary(rps)}"
    if cpu:
        text += f"; CPU per request off / on {summary(cpu)}"
    return text


def table(results, openloop, startup_path=None):
    rows = load(results)
    startup = load_startup(startup_path)
    for scenario in ORDER:
        targets = [t for (s, t) in rows if s == scenario]
        if not targets:
            continue
        base = rows.get((scenario, "nginx"))
        print(f"\n### {TITLES[scenario]}  (medians; ratio = target / nginx)\n")
        print("| target | runs | req/s | p50 ms | p99 ms | p99.9 ms | errors | CPU ms/1k req | start-up ms "
              "| RSS ready MiB | peak RSS MiB | req/s ratio | p99 ratio | CPU ratio |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for target in targets:
            runs = rows[(scenario, target)]
            line = (f"| {target} | {len(runs)} | {med(runs, 'rps'):.0f} | {med(runs, 'p50'):.2f} "
                    f"| {med(runs, 'p99'):.2f} | {med(runs, 'p999'):.2f} | {sum(r['errors'] for r in runs)} "
                    f"| {med(runs, 'cpu'):.1f} ")
            ms, ready_kb = startup.get((scenario, target), (None, None))
            line += f"| {ms} | {ready_kb / 1024:.0f} " if ms is not None else "| - | - "
            line += f"| {max(r['rss'] for r in runs):.0f} "
            if base:
                line += (f"| {ratio(med(runs, 'rps'), med(base, 'rps'))} | {ratio(med(runs, 'p99'), med(base, 'p99'))} "
                         f"| {ratio(med(runs, 'cpu'), med(base, 'cpu'))} |")
            else:
                line += "| - | - | - |"
            print(line)
        print("\nper run (req/s, CPU ms/1k):", "; ".join(
            f"{t}: " + ", ".join(f"{r['rps']:.0f}/{r['cpu']:.1f}" for r in rows[(scenario, t)]) for t in targets))
        on, off = rows.get((scenario, "canary-proxy")), rows.get((scenario, "canary-proxy-off"))
        if on and off and kept(on, off):
            print(f"\nkept with the mirror on (canary-proxy / canary-proxy-off, same build, same round): {kept(on, off)}")
    if openloop and os.path.exists(openloop) and os.path.getsize(openloop):
        runs = {}
        rate = None
        with open(openloop) as f:
            for line in f:
                _s, target, _round, path = line.rstrip("\n").split("\t")
                with open(os.path.join(os.path.dirname(openloop), os.path.basename(path))) as j:
                    data = json.load(j)
                rate = data.get("requestedRate")
                runs.setdefault(target, []).append(data)
        print(f"\n### open loop at {rate:.0f} req/s with canary-bench (corrected latency, medians; "
              "added = target - direct)\n")
        print("| target | runs | achieved req/s | p50 ms | p99 ms | p99.9 ms | errors | added p50 | added p99 "
              "| added p99.9 |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        def m(target, key):
            return statistics.median(d["corrected"][key] for d in runs[target])
        for target, data in runs.items():
            achieved = statistics.median(d["achievedRate"] for d in data)
            errors = sum(d["errors"] for d in data)
            line = (f"| {target} | {len(data)} | {achieved:.0f} | {m(target, 'p50'):.2f} | {m(target, 'p99'):.2f} "
                    f"| {m(target, 'p999'):.2f} | {errors} ")
            if "direct" in runs and target != "direct":
                line += " ".join(f"| {m(target, k) - m('direct', k):+.2f}" for k in ("p50", "p99", "p999")) + " |"
            else:
                line += "| - | - | - |"
            print(line)
        if "direct" in runs and m("direct", "p99") > 20:
            print(f"\nWARNING: even the direct run's corrected p99 is {m('direct', 'p99'):.0f} ms: this machine (or the load "
                  f"generator) cannot hold {rate:.0f} req/s, so the figures above are queueing, not proxy latency. "
                  "Rerun with a lower RATE, e.g. RATE=5000 SCENARIOS=openloop.")
        warnings = {d["rateWarning"] for data in runs.values() for d in data if d.get("rateWarning")}
        for w in sorted(warnings):
            print(f"\nWARNING from canary-bench: {w}")


def main():
    if sys.argv[1] == "median-rps":
        runs = load(sys.argv[2]).get((sys.argv[3], sys.argv[4]))
        print(f"{med(runs, 'rps'):.0f}" if runs else "")
    elif sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None, sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
