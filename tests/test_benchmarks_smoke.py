"""The benchmark suite's CI smoke mode: it runs, end to end, and parses its own output.

No speed assertion: the sizes are tiny and the figures depend on the machine. What is checked
is that each scenario ran against both servers and reported well-formed figures, and that
LANBoard delivered every message (a correctness fact, not a speed one).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_smoke_run_reports_every_scenario_for_both_servers(tmp_path: Path) -> None:
    out = tmp_path / "smoke.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=80,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(out.read_text())
    rows = {(r["scenario"], r["server"]): r for r in result["rows"]}
    assert set(rows) == {(s, k) for s in ("4x20", "late-200", "rooms-5x2")
                         for k in ("lanboard", "naive")}

    for kind in ("lanboard", "naive"):
        load = rows["4x20", kind]
        # 4 clients x 20/s x 1 s; a loaded machine may cut the last sends of the second short.
        assert 4 * 20 // 2 <= load["sent"] <= 4 * 20 + 4
        assert load["expected"] == load["sent"] * 3
        assert 0 < load["delivered"] <= load["expected"]
        assert load["lat_samples"] > 0
        for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms"):
            assert math.isfinite(load[key]) and load[key] >= 0
        assert load["p50_ms"] <= load["p95_ms"] <= load["p99_ms"] <= load["max_ms"]
        assert load["server_rss_mb"] > 1 and load["server_cpu_pct"] >= 0
        assert load["closed"] == 0

        late = rows["late-200", kind]
        assert late["elements"] == 200 and late["first_ms"] > 0

        idle = rows["rooms-5x2", kind]
        assert idle["clients"] == 10 and idle["closed"] == 0 and idle["server_rss_mb"] > 1

    # LANBoard relays every change: nothing may be lost, even at this size.
    assert rows["4x20", "lanboard"]["delivered"] == rows["4x20", "lanboard"]["expected"]
    # The Markdown table the README quotes is printed too.
    assert "| 4x20 | lanboard |" in proc.stdout and "| 4x20 | naive |" in proc.stdout


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_the_floor_relay_delivers_everything_and_keeps_no_board(tmp_path: Path) -> None:
    """The floor server is the reference every latency target is read against: it must
    deliver every message (else its figures mean nothing) and refuse the board scenarios."""
    out = tmp_path / "floor.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", "--servers", "floor",
         "--only", "4x20", "--only", "late-200", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=50,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {r["scenario"]: r for r in json.loads(out.read_text())["rows"]}
    load = rows["4x20"]
    assert load["server"] == "floor" and load["sent"] > 0
    assert load["delivered"] == load["expected"] == load["sent"] * 3
    assert load["lat_samples"] > 0 and load["closed"] == 0
    assert rows["late-200"]["error"] == "the floor relay keeps no board"


def test_loadgen_finds_timestamps_cut_between_two_reads() -> None:
    """The raw-bytes counter finds a message split across reads, and never counts one twice."""
    from benchmarks import loadgen

    msg = loadgen.DRAW % (7, 7, 1234567)
    other = loadgen.DRAW % (8, 8, 7654321)
    stream = (b"[" + msg + b"," + other + b"]") * 3

    class Sock:
        def __init__(self, parts: list[bytes]) -> None:
            self.parts = parts

        def recv(self, _n: int) -> bytes:
            return self.parts.pop(0)

    for cut in range(1, len(stream)):
        gen = loadgen.Generator(loadgen.parse_args(["--port", "1", "--clients", "1"]))
        client = loadgen.Client(7, Sock([stream[:cut], stream[cut:]]), measure=True)
        client.state = "open"
        for _ in range(2):
            gen.on_readable(client, 0.0)
        assert (client.count, client.own, len(gen.latencies)) == (6, 3, 3), cut


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_cluster_smoke_relays_everything_across_two_processes(tmp_path: Path) -> None:
    import shutil

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (tools/test.sh installs it)")
    out = tmp_path / "cluster.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.cluster", "--smoke", "--setups",
                           "2proc-redis", "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=80)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {r["server"]: r for r in json.loads(out.read_text())["rows"]}
    # Every change reaches every other client, across the two processes too.
    assert rows["2proc-redis"]["delivered"] == rows["2proc-redis"]["expected"] > 0
    assert rows["1 board, 1 change a flush, appendfsync always"]["changes_per_s"] > 0


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_worksheet_benchmark_runs_tiny_and_reports_its_figures() -> None:
    """benchmarks/worksheet.py end to end at tiny sizes: images add only references to the
    sync, every client got every page image."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.worksheet", "--strokes", "20", "--images", "3",
         "--pdf-pages", "2", "--clients", "2", "--page-strokes", "2", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=80)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert 0 < result["sync_pics"] - result["sync_plain"] < 3 * 400  # references, not bytes
    assert result["crowd"]["clients"] == 2 and result["crowd"]["image_bytes"] > 0
    assert result["pages_elements"] == 2 * 2 + 2  # both pages' strokes and images
    assert "sync, the same + 3 images" in proc.stdout


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_wifi_benchmark_runs_tiny_and_reports_its_figures(tmp_path: Path) -> None:
    """benchmarks/wifi.py end to end at tiny sizes: a compressed sync of every stroke, a
    resume after the outage, live bytes counted."""
    out = tmp_path / "wifi.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.wifi", "--strokes", "150", "--clients", "3",
         "--outage", "0.5", "--live-seconds", "0.5", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=80)
    assert proc.returncode == 0, proc.stderr[-2000:]
    row = json.loads(out.read_text())["rows"][0]
    assert row["sync"]["deflate"] and row["sync"]["bytes"] < row["sync"]["no_offer_bytes"]
    assert row["reconnect"]["first"] == "resume" and row["reconnect"]["missed_changes"] > 0
    assert row["live"]["bytes_per_s"] > 0
    # packed points (pack=1) shrink the compact strokes' sync further
    assert row["sync_now_packed"]["bytes_per_stroke"] < row["sync_now_strokes"]["bytes_per_stroke"]
    assert "sync bytes per stroke" not in proc.stdout  # no --ref-src: no comparison


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_pen_stroke_benchmark_runs_tiny_and_reports_its_figures() -> None:
    """benchmarks/pen_strokes.py end to end on one quick mouse circle drawn in Chromium: the
    stroke is stored simplified and quantized, close to the pointer's curve."""
    pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium not found at /usr/bin/chromium")
    proc = subprocess.run([sys.executable, "-m", "benchmarks.pen_strokes", "--tiny", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=80)
    assert proc.returncode == 0, proc.stderr[-2000:]
    now = json.loads(proc.stdout)["now"]["all"]
    assert now["strokes"] == 1 and 10 < now["points"] < 100
    assert now["element_bytes"] < 100 * 17  # 101 points took 1,700 bytes before
    assert now["max_curve_deviation_px"] <= 0.5


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_page_rejoin_benchmark_runs_tiny_and_reports_its_figures() -> None:
    """benchmarks/page_rejoin.py on 60 strokes in Chromium: the reload resumes, and the save
    after one new stroke wrote that one element, not the board."""
    pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium not found at /usr/bin/chromium")
    proc = subprocess.run([sys.executable, "-m", "benchmarks.page_rejoin", "--tiny", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=80)
    assert proc.returncode == 0, proc.stderr[-2000:]
    now = json.loads(proc.stdout)["now"]
    assert now["reload"]["kind"] == "resume" and now["reload"]["since"]
    save = now["stroke_save"]
    assert save["samples"] == 1 and save["wrote"]["changed"] == 1 and not save["wrote"]["full"]
    assert now["full_save"]["ok"] and now["load"]["elements"] >= save["wrote"]["elements"] > 60


def test_wifi_joiners_browser_parse_runs_the_pages_unpack_in_node() -> None:
    """wifi_clients.NodeParser (the "parsed as a browser would" figure): one node process
    parses a packed catch-up with JSON.parse and static/app/packing.js."""
    from benchmarks.wifi_clients import NodeParser
    if shutil.which("node") is None:
        pytest.skip("node not installed")
    sync = {"type": "sync", "data": {"elements": [
        {"id": "a", "elementType": "path", "pk": [10, 20, 1, -1]},
        {"id": "b", "elementType": "line", "x1": 1}]}}
    node = NodeParser()
    try:
        seconds = node.seconds([json.dumps([sync, {"type": "userlist"}]).encode()])
        assert seconds is not None and seconds >= 0 and node.elements == 2
        assert node.seconds([b'[{"type": "sync", "data": {"elements": []}}]']) is not None
        assert node.elements == 0
    finally:
        node.close()
