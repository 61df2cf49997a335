"""Bytes through the classroom's access point (issue 17): this checkout against another source
tree (--ref-src, today's code) in the same run.

Every client offers permessage-deflate as Chromium does (`permessage-deflate;
client_max_window_bits`), inflates what arrives marked RSV1 (each message from a fresh state)
and parses the JSON. Figures:

- sync: wire bytes per stroke of a full sync of a board of --strokes pen strokes (the
  recorded strokes of benchmarks/strokes/, copied at random offsets), and the time to the
  first and a second joiner's parsed sync. With benchmarks/strokes/now.json present (the page's
  own simplified strokes), the same for a board of those too;
- reconnect: a client that held the board is away --outage seconds while --clients people
  draw, then rejoins with ?since=: its bytes as a share of a full sync;
- live: bytes per second from the server, and its CPU, while --clients people draw pen strokes
  (each replays a recorded stroke's frames at 60 a second, then pauses 0.5 s);
- --netns (root): --clients joiners of the board through a 100 Mbit/s tbf link between two
  network namespaces, every sync received, inflated and parsed: the slowest joiner's time.

    python -m benchmarks.wifi --ref-src /tmp/ref-41f1ff6 [--netns]

Servers bind 127.0.0.1 (or the namespace's own address); every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from pathlib import Path
from typing import Any

import orjson

from benchmarks.wifi_clients import Drawers, Wire, has_type, join_many, parse_catch_up

ROOT = Path(__file__).resolve().parent.parent
STROKES = ROOT / "benchmarks" / "strokes"
TICK = os.sysconf("SC_CLK_TCK")


# ---- strokes ---------------------------------------------------------------------------------

def recorded(name: str) -> list[dict[str, Any]]:
    """The recorded strokes of benchmarks/strokes/NAME.json ([] when absent)."""
    path = STROKES / f"{name}.json"
    if not path.exists():
        return []
    return list(json.loads(path.read_text())["strokes"])


def board(strokes: list[dict[str, Any]], n: int, seed: int = 1) -> list[dict[str, Any]]:
    """`n` elements: the recorded strokes' stored forms, each copy turned by a random angle,
    scaled by 0.7-1.3 and moved to a random place, with its own id, at the precision of the
    stroke's own coordinates (0.01 for 41f1ff6's page, 0.1 for the page's compact strokes).
    So no two copies share their digits, nor their deltas: copies only moved would be one
    stroke twelve times over for packed points (whole-number deltas), which deflate would
    squeeze to ~40 B a stroke."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        el = strokes[i % len(strokes)]["element"]
        places = max(len(repr(float(v)).split(".")[1].rstrip("0")) for p in el["points"]
                     for v in p[:2])
        dx, dy = rng.uniform(-600, 1400), rng.uniform(-400, 800)
        turn, scale = rng.uniform(0, 2 * math.pi), rng.uniform(0.7, 1.3)
        c, s = scale * math.cos(turn), scale * math.sin(turn)
        x0, y0 = el["points"][0][:2]
        pts = [[_num(x0 + dx + c * (p[0] - x0) - s * (p[1] - y0), places),
                _num(y0 + dy + s * (p[0] - x0) + c * (p[1] - y0), places), *p[2:]]
               for p in el["points"]]
        out.append({**{k: v for k, v in el.items() if k != "userId"}, "id": f"b{i:06d}",
                    "points": pts})
    return out


def _num(v: float, places: int) -> float | int:
    """`v` at `places` decimals, written as the page writes it (790, not 790.0)."""
    r = round(v, places)
    return int(r) if r == int(r) else r


def live_frames(strokes: list[dict[str, Any]]) -> list[list[bytes]]:
    """Each recorded stroke's frames as the page sent them, its id as a placeholder."""
    out = []
    for s in strokes:
        eid = s["element"]["id"]
        out.append([f.replace(eid, "@ID@").encode() for f in s["sent"]])
    return out


# ---- servers -------------------------------------------------------------------------------

class Server:
    """`python -m lanboard` from a source tree, memory store, on `host` (inside `netns`)."""

    def __init__(self, src: Path, host: str = "127.0.0.1", netns: str | None = None) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="lanboard-wifi-")
        self.host = host
        cmd = [sys.executable, "-m", "lanboard", "--headless", "--no-mdns", "--host", host,
               "--port", "0", "--data-dir", self.tmp.name]
        if netns:
            cmd = ["ip", "netns", "exec", netns, *cmd]
        env = {**os.environ, "LANBOARD_LOG_LEVEL": "WARNING", "LANBOARD_STORE": "memory",
               "PYTHONPATH": str(src)}
        self.log = Path(self.tmp.name) / "server.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=src, env=env, stdout=out,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.search(r"running at \S*:(\d+)", self.log.read_text(errors="replace"))
            if found:
                self.port = int(found.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log.read_text()[-800:]}")

    def pid(self) -> int:
        """The Python process's pid (under `ip netns exec`, which execs, the same)."""
        return self.proc.pid

    def cpu(self) -> float:
        with open(f"/proc/{self.pid()}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.tmp.cleanup()


def import_board(host: str, port: int, room: str, elements: list[dict[str, Any]]) -> int:
    body = json.dumps({"elements": elements}, separators=(",", ":")).encode()
    req = urllib.request.Request(f"http://{host}:{port}/api/rooms/{room}/import", data=body,
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=120) as resp:
        return int(json.loads(resp.read())["seq"])


# ---- figures -------------------------------------------------------------------------------

def join_sync(host: str, port: int, room: str, offer: bool = True, timeout: float = 60,
              pack: bool = False) -> dict[str, Any]:
    """One joiner: wire bytes of its catch-up, seconds to the parsed sync, the elements.
    With `pack` it asks for packed stroke points and expands them while parsing."""
    t0 = time.perf_counter()
    tail = "&pack=1" if pack else ""
    w = Wire(host, port, f"/ws/{room}?userId=joiner{os.urandom(3).hex()}&v=2{tail}", offer)
    ok = w.until(lambda: has_type(w, b"userlist"), timeout)
    received = time.perf_counter() - t0
    msgs = parse_catch_up(w.messages, pack)
    seconds = time.perf_counter() - t0
    w.close()
    sync = next((m for m in msgs if m["type"] == "sync"), None)
    return {"ok": ok and sync is not None, "bytes": w.received, "seconds": seconds,
            "received_s": received, "inflate_s": w.inflate_s,
            "deflate": w.deflate, "elements": len(sync["data"]["elements"]) if sync else 0,
            "seq": sync["data"]["seq"] if sync else None}


def measure(src: Path, name: str, args: argparse.Namespace, strokes: list[dict[str, Any]],
            now_strokes: list[dict[str, Any]]) -> dict[str, Any]:
    server = Server(src)
    host, port = "127.0.0.1", server.port
    out: dict[str, Any] = {"server": name}
    try:
        elements = board(strokes, args.strokes)
        out["raw_element_bytes"] = sum(len(json.dumps(e, separators=(",", ":")))
                                       for e in elements) / len(elements)
        import_board(host, port, "big", elements)
        first = join_sync(host, port, "big")
        second = join_sync(host, port, "big")
        plain = join_sync(host, port, "big", offer=False)
        assert first["ok"] and first["elements"] == args.strokes, first
        out["sync"] = {"bytes_per_stroke": first["bytes"] / args.strokes,
                       "bytes": first["bytes"], "no_offer_bytes": plain["bytes"],
                       "first_s": first["seconds"], "second_s": second["seconds"],
                       "first_received_s": first["received_s"],
                       "second_received_s": second["received_s"],
                       "plain_received_s": plain["received_s"], "inflate_s": first["inflate_s"],
                       "deflate": first["deflate"]}
        if now_strokes:
            import_board(host, port, "now", board(now_strokes, args.strokes))
            got = join_sync(host, port, "now")
            out["sync_now_strokes"] = {"bytes_per_stroke": got["bytes"] / args.strokes}
        if name == "lanboard":  # packed stroke points (pack=1; 41f1ff6 has none)
            got = join_sync(host, port, "big", pack=True)
            assert got["ok"] and got["elements"] == args.strokes, got
            out["sync_packed"] = {"bytes_per_stroke": got["bytes"] / args.strokes,
                                  "seconds": got["seconds"]}
            if now_strokes:
                join_sync(host, port, "now", pack=True)  # the first packs and compresses
                got = join_sync(host, port, "now", pack=True)
                plain_got = join_sync(host, port, "now", offer=False, pack=True)
                out["sync_now_packed"] = {"bytes_per_stroke": got["bytes"] / args.strokes,
                                          "seconds": got["seconds"],
                                          "no_offer_bytes_per_stroke":
                                          plain_got["bytes"] / args.strokes}
        # Reconnect after an outage while people draw (the board above).
        frames = live_frames(strokes)
        held = join_sync(host, port, "big")
        drawers = Drawers(host, port, "big", args.clients, frames, since=held["seq"])
        sent = drawers.run(args.outage)
        drawers.drain(0.5)
        drawers.close()
        w = Wire(host, port, f"/ws/big?userId=back&v=2&since={held['seq']}")
        w.until(lambda: has_type(w, b"userlist"), 60)
        msgs = [m for frame in w.messages for m in orjson.loads(frame)]
        w.close()
        out["reconnect"] = {"bytes": w.received, "first": msgs[0]["type"] if msgs else None,
                            "missed_changes": len(msgs) - 2, "frames_drawn": sent,
                            "share_of_own_sync": w.received / first["bytes"]}
        # Live: a fresh board, everyone drawing.
        drawers = Drawers(host, port, "live", args.clients, frames)
        drawers.drain(0.3)
        base, cpu0, t0 = drawers.received(), server.cpu(), time.monotonic()
        sent = drawers.run(args.live_seconds)
        drawers.drain(0.3)
        took = time.monotonic() - t0
        out["live"] = {"bytes_per_s": (drawers.received() - base) / took,
                       "frames_in_per_s": sent / took,
                       "server_cpu_per_s": (server.cpu() - cpu0) / took}
        drawers.close()
        if now_strokes:  # the same people drawing with the page's own compact strokes
            drawers = Drawers(host, port, "live-now", args.clients, live_frames(now_strokes))
            drawers.drain(0.3)
            base, t0 = drawers.received(), time.monotonic()
            sent = drawers.run(args.live_seconds)
            drawers.drain(0.3)
            took = time.monotonic() - t0
            out["live_now_strokes"] = {"bytes_per_s": (drawers.received() - base) / took,
                                       "frames_in_per_s": sent / took}
            drawers.close()
    finally:
        server.stop()
    return out


def chunk_timing(strokes: list[dict[str, Any]], n: int) -> dict[str, float]:
    """In process: compressing a board's sync body (this checkout's deflate.py), the first time
    and after one stroke more."""
    sys.path.insert(0, str(ROOT))
    from lanboard import deflate

    els = [(e["id"], json.dumps(e, separators=(",", ":")).encode()) for e in board(strokes, n)]
    body = b"[" + b",".join(e for _, e in els) + b"]"
    cache = deflate.ElementChunks()
    t = time.perf_counter()
    segs = cache.segments(body, lambda: els)
    first = time.perf_counter() - t
    more = [*els, ("extra", els[0][1].replace(b'"b000000"', b'"extra"'))]
    body2 = b"[" + b",".join(e for _, e in more) + b"]"
    t = time.perf_counter()
    cache.segments(body2, lambda: more)
    again = time.perf_counter() - t
    size = sum(len(s) for s in segs)
    whole = {}
    for level in (1, 6):
        t = time.perf_counter()
        z = zlib.compressobj(level, zlib.DEFLATED, -15)
        whole[level] = len(z.compress(body) + z.flush()), time.perf_counter() - t
    return {"body_mb": len(body) / 1e6, "first_ms": first * 1000, "one_more_ms": again * 1000,
            "ratio": len(body) / size, "level1_whole_ratio": len(body) / whole[1][0],
            "level6_whole_ratio": len(body) / whole[6][0],
            "level6_whole_ms": whole[6][1] * 1000}


# ---- 30 joiners through a 100 Mbit/s link -----------------------------------------------------

def netns_run(args: argparse.Namespace, strokes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tag = f"{os.getpid() % 10000}"
    srv_ns, cli_ns = f"lbw{tag}s", f"lbw{tag}c"
    veth_s, veth_c = f"lbw{tag}a", f"lbw{tag}b"
    host = "10.79.0.1"

    def ip(*a: str) -> None:
        subprocess.run(["ip", *a], check=True)

    results = []
    try:
        ip("netns", "add", srv_ns)
        ip("netns", "add", cli_ns)
        ip("link", "add", veth_s, "type", "veth", "peer", "name", veth_c)
        ip("link", "set", veth_s, "netns", srv_ns)
        ip("link", "set", veth_c, "netns", cli_ns)
        ip("-n", srv_ns, "addr", "add", f"{host}/24", "dev", veth_s)
        ip("-n", cli_ns, "addr", "add", "10.79.0.2/24", "dev", veth_c)
        for ns, dev in ((srv_ns, veth_s), (cli_ns, veth_c)):
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", dev, "up")
        subprocess.run(["ip", "netns", "exec", srv_ns, "tc", "qdisc", "add", "dev", veth_s,
                        "root", "tbf", "rate", "100mbit", "burst", "64kb", "latency", "50ms"],
                       check=True)
        srcs = [("lanboard", ROOT)] + ([("ref", args.ref_src)] if args.ref_src else [])
        for name, src in srcs:
            server = Server(src, host, srv_ns)
            try:
                cmd = ["ip", "netns", "exec", cli_ns, sys.executable, "-m", "benchmarks.wifi",
                       "--worker", f"{host}:{server.port}", "--strokes", str(args.strokes),
                       "--clients", str(args.clients), "--stroke-set", args.stroke_set,
                       "--settle", str(args.settle),
                       *(["--pack"] if args.pack and name == "lanboard" else [])]
                proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                                      timeout=args.netns_timeout + 120)
                if proc.returncode != 0:
                    raise RuntimeError(proc.stderr[-2000:])
                log = server.log.read_text(errors="replace")
                results.append({"server": name, "strokes": args.stroke_set,
                                "pack": bool(args.pack and name == "lanboard"),
                                **json.loads(proc.stdout.splitlines()[-1]),
                                "stalled": log.count("peer stalled")})
            finally:
                server.stop()
    finally:
        for ns in (srv_ns, cli_ns):
            subprocess.run(["ip", "netns", "del", ns], check=False)  # takes the veth pair too
    return results


def worker(args: argparse.Namespace, strokes: list[dict[str, Any]]) -> None:
    host, port = args.worker.rsplit(":", 1)
    import_board(host, int(port), "big", board(strokes, args.strokes))
    time.sleep(args.settle)  # the board loaded and quiet before the crowd comes, as in class
    print(json.dumps(join_many(host, int(port), "big", args.clients, args.netns_timeout,
                               pack=args.pack)))


# ---- report ----------------------------------------------------------------------------------

def report(rows: list[dict[str, Any]], timing: dict[str, float],
           joins: list[dict[str, Any]]) -> None:
    if timing:
        print(f"\ncompressing the new server's sync body, in process: {timing['body_mb']:.1f} MB"
              f" in {timing['first_ms']:.0f} ms the first time, {timing['one_more_ms']:.1f} ms "
              f"after one stroke more; {timing['ratio']:.2f}x (whole body at level 1 "
              f"{timing['level1_whole_ratio']:.2f}x, level 6 {timing['level6_whole_ratio']:.2f}x"
              f" in {timing['level6_whole_ms']:.0f} ms)")
    by = {r["server"]: r for r in rows}
    ref = by.get("ref")
    if rows:
        print("\nserver     sync B/stroke  1st joiner  2nd joiner  reconnect B  % of today's sync"
              "  live B/s   live CPU/s")
        print("(joiner times: loopback, every byte of the catch-up received, before parsing)")
    for r in rows:
        s, rc, lv = r["sync"], r["reconnect"], r["live"]
        today = ref["sync"]["bytes"] if ref else s["bytes"]
        print(f"{r['server']:<10} {s['bytes_per_stroke']:>13.0f} {s['first_received_s']:>10.2f}s "
              f"{s['second_received_s']:>10.2f}s {rc['bytes']:>12,} "
              f"{100 * rc['bytes'] / today:>16.2f}% {lv['bytes_per_s']:>10,.0f} "
              f"{lv['server_cpu_per_s']:>10.2f}")
    new = by.get("lanboard")
    if new and ref:
        print(f"\nsync bytes per stroke: {new['sync']['bytes_per_stroke']:.0f} vs today's "
              f"{ref['sync']['bytes_per_stroke']:.0f} = 1/"
              f"{ref['sync']['bytes_per_stroke'] / new['sync']['bytes_per_stroke']:.2f}")
        if "sync_now_strokes" in new:
            b = new["sync_now_strokes"]["bytes_per_stroke"]
            print(f"  with the page's own simplified strokes (now.json): {b:.0f} = 1/"
                  f"{ref['sync']['bytes_per_stroke'] / b:.2f}")
        for key, what in (("sync_packed", "packed (pack=1), today's strokes"),
                          ("sync_now_packed", "packed (pack=1), the page's compact strokes")):
            if key in new:
                b = new[key]["bytes_per_stroke"]
                print(f"  {what}: {b:.0f} = 1/{ref['sync']['bytes_per_stroke'] / b:.2f}, "
                      f"parsed sync in {new[key]['seconds']:.2f} s")
        if "sync_now_packed" in new:
            print("    without deflate: "
                  f"{new['sync_now_packed']['no_offer_bytes_per_stroke']:.0f} B a stroke")
        print(f"reconnect after {new['reconnect']['frames_drawn']} frames drawn: "
              f"{new['reconnect']['first']} with {new['reconnect']['missed_changes']} changes, "
              f"{100 * new['reconnect']['bytes'] / ref['sync']['bytes']:.2f}% of today's full "
              f"sync, {100 * new['reconnect']['share_of_own_sync']:.2f}% of its own")
        print(f"live bytes/s: {new['live']['bytes_per_s']:,.0f} vs today's "
              f"{ref['live']['bytes_per_s']:,.0f} = "
              f"{new['live']['bytes_per_s'] / ref['live']['bytes_per_s']:.2f}")
        if "live_now_strokes" in new:
            b = new["live_now_strokes"]["bytes_per_s"]
            print(f"  with the page's own compact strokes (now.json): {b:,.0f} = "
                  f"{b / ref['live']['bytes_per_s']:.2f}")
    for j in joins:
        print(f"netns 100 Mbit/s, {j['clients']} joiners, {j['server']}"
              f"{' pack=1' if j.get('pack') else ''} ({j['strokes']} "
              f"strokes): {j['synced']} synced "
              f"({j['elements_min']} elements at least), slowest {j['slowest_s']:.2f} s, median "
              f"{j['median_s']:.2f} s; last byte at {j['last_received_s']:.2f} s, longest "
              f"inflate + parse {j['parse_max_s']:.2f} s; {j['bytes_total'] / 1e6:.1f} MB; "
              f"server log: {j['stalled']} peers stalled")
        if j.get("js_slowest_s") is not None:
            print(f"  parsed as a browser would (node: JSON.parse + packing.js, after zlib): "
                  f"slowest {j['js_slowest_s']:.2f} s, median {j['js_median_s']:.2f} s, longest "
                  f"parse {j['js_parse_max_s']:.2f} s (the Python figures above: orjson + unpack)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ref-src", type=Path, default=None, help="today's source tree")
    p.add_argument("--strokes", type=int, default=10_000, help="strokes on the big board")
    p.add_argument("--clients", type=int, default=30, help="people drawing / joining")
    p.add_argument("--outage", type=float, default=5.0, help="seconds away before rejoining")
    p.add_argument("--live-seconds", type=float, default=8.0)
    p.add_argument("--netns", action="store_true", help="the 100 Mbit/s joiners (root)")
    p.add_argument("--netns-timeout", type=float, default=90.0)
    p.add_argument("--netns-only", action="store_true", help="only the 100 Mbit/s joiners")
    p.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    p.add_argument("--stroke-set", default="today", choices=("today", "now"),
                   help="the recorded strokes the 100 Mbit/s joiners' board is made of")
    p.add_argument("--pack", action="store_true",
                   help="the new server's 100 Mbit/s joiners ask for packed stroke points")
    p.add_argument("--settle", type=float, default=3.0,
                   help="seconds the 100 Mbit/s board stays quiet before the joiners come")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    strokes = recorded("today")
    if args.worker:
        worker(args, recorded(args.stroke_set))
        return
    if not strokes:
        raise SystemExit("benchmarks/strokes/today.json is missing")
    now_strokes = recorded("now")
    rows: list[dict[str, Any]] = []
    timing: dict[str, float] = {}
    if not args.netns_only:
        rows.append(measure(ROOT, "lanboard", args, strokes, now_strokes))
        if args.ref_src:
            rows.append(measure(args.ref_src.resolve(), "ref", args, strokes, []))
        timing = chunk_timing(strokes, args.strokes)
    joins = netns_run(args, strokes) if args.netns or args.netns_only else []
    report(rows, timing, joins)
    if args.out:
        args.out.write_text(json.dumps({"rows": rows, "timing": timing, "joins": joins},
                                       indent=1))


if __name__ == "__main__":
    main()
