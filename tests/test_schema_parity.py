"""The page's element registry (static/app/elements/) and the server's schema table
(lanboard/elements.py) agree: the same types, fields, kinds and limits, and the same doubles
out of the same move/scale/set arithmetic. Each side runs for real: node imports the page's
modules, and the results are compared with the server's functions in this process."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lanboard import elements, limits
from lanboard.errors import ProtocolError

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = (ROOT / "static" / "app" / "elements" / "index.js").as_uri()

# Reads one JSON request on stdin and prints the page's answer: the schema, or each
# {element, transform?, set?} worked through the registry.
_SCRIPT = """
const reg = await import(process.argv[1]);
let raw = '';
for await (const chunk of process.stdin) raw += chunk;
const req = JSON.parse(raw);
let out;
if (req.op === 'schema') out = reg.schemaJSON();
else if (req.op === 'scale') {
  const f = await import(new URL('fields.js', process.argv[1]));
  out = { MIN_SCALE: f.MIN_SCALE, MAX_SCALE: f.MAX_SCALE };
}
else if (req.op === 'check') out = req.elements.map((el) => reg.checkElement(el));
else if (req.op === 'wire') out = req.elements.map((el) => reg.wireElement(el));
else out = req.cases.map((c) => {
  let el = c.element;
  if (c.transform) el = reg.transformElement(el, c.transform);
  if (c.set) el = reg.applySet(el, c.set);
  return { element: el, error: reg.checkElement(el) };
});
process.stdout.write(JSON.stringify(out));
"""


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the parity test runs the page's modules in Node.js")
    return node


def page(request: dict[str, Any]) -> Any:
    result = subprocess.run([_node(), "--input-type=module", "-e", _SCRIPT, REGISTRY],
                            input=json.dumps(request), capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.mark.timeout(60)
def test_page_schema_equals_server_schema() -> None:
    """Same element types, fields, field kinds, required flags and limits on both sides."""
    ours = page({"op": "schema"})
    theirs = elements.schema_json()
    assert ours["limits"] == theirs["limits"]
    assert set(ours["types"]) == set(theirs["types"])
    for name, fields in theirs["types"].items():
        assert ours["types"][name] == fields, name
    assert ours == theirs


@pytest.mark.timeout(60)
def test_scale_factor_limits_match() -> None:
    """The size range of an update's or a drag's scale factors, which schema_json leaves out."""
    assert page({"op": "scale"}) == {"MIN_SCALE": limits.MIN_SCALE, "MAX_SCALE": limits.MAX_SCALE}


def _random_element(rng: random.Random, kind: str, i: int) -> dict[str, Any]:
    def coord() -> float:
        return rng.uniform(-5000, 5000)

    el: dict[str, Any] = {"id": f"e{i}", "elementType": kind, "userId": "ann"}
    if elements.TYPES[kind].stroke:
        el.update(strokeColor="#123456", strokeWidth=rng.choice([1, 2.5, 8]))
    if rng.random() < 0.5:  # the common fields, never at their defaults (the server drops those)
        el.update(page=rng.randint(2, limits.MAX_PAGES), locked=True)
    for name, spec in elements.TYPES[kind].own.items():
        if spec.kind in ("x", "y", "w", "h"):
            el[name] = coord()
        elif spec.kind == "points":
            el[name] = [[coord(), coord(), rng.random()] if rng.random() < 0.5
                        else [coord(), coord()] for _ in range(rng.randint(1, 6))]
        elif spec.kind == "font":
            el[name] = rng.uniform(8, 60)
        elif spec.kind == "text":
            el[name] = "two\nlines"
        elif spec.kind == "color" and rng.random() < 0.5:
            el[name] = "#abc"
        elif spec.kind == "asset":
            el[name] = f"{rng.getrandbits(256):064x}"
    return el


def _random_transform(rng: random.Random) -> dict[str, float]:
    def factor() -> float:
        return rng.choice([-1, 1]) * rng.uniform(0.2, 3)

    return {"dx": rng.uniform(-300, 300), "dy": rng.uniform(-300, 300), "sx": factor(),
            "sy": factor(), "ox": rng.uniform(-1000, 1000), "oy": rng.uniform(-1000, 1000)}


@pytest.mark.timeout(60)
def test_transforms_give_bit_identical_doubles() -> None:
    """Scale then move, on every coordinate, size, point and font size: the page's numbers are
    exactly the server's (compared with ==, not within a tolerance), so every screen ends up
    where the server's board is."""
    rng = random.Random(12)
    cases: list[dict[str, Any]] = []
    for i in range(400):
        kind = rng.choice(sorted(elements.TYPES))
        cases.append({"element": _random_element(rng, kind, i),
                      "transform": _random_transform(rng)})
    ours = page({"op": "cases", "cases": cases})
    for case, got in zip(cases, ours, strict=True):
        t = elements.Transform(**case["transform"])
        want = elements.transformed(case["element"], t)
        assert got["element"] == want, case
        assert got["error"] == ""


@pytest.mark.timeout(60)
def test_set_skips_missing_fields_and_null_removes_optional_ones() -> None:
    """One restyle over mixed types: a field a type lacks is skipped, null removes a fill."""
    rng = random.Random(3)
    sets = [{"strokeColor": "#f00", "fillColor": "#0f0"}, {"fillColor": None},
            {"strokeWidth": 12, "fontSize": 30, "text": "new"},
            {"x": 1, "x1": 2, "points": [[1, 2]]}]
    cases: list[dict[str, Any]] = []
    for i, kind in enumerate(sorted(elements.TYPES) * 2):
        el = _random_element(rng, kind, i)
        cases.append({"element": el, "set": sets[i % len(sets)]})
    ours = page({"op": "cases", "cases": cases})
    for case, got in zip(cases, ours, strict=True):
        want = elements.with_set(case["element"], case["set"])
        assert got["element"] == want, case


_BAD_VALUES: dict[str, list[Any]] = {
    "x": ["1", True, None, 1e6 + 1, -1e6 - 0.5, 10**400, [1]],
    "w": [False, 2e6, "wide"],
    "points": [[], [[0]], [[0, 0, 1.5]], [[0, 0, -0.1]], [[0, 0, 0, 0]], [["0", 0]],
               [[0, 2e6]], [[0, 0]] * 20_001, "points", [[True, 0]]],
    "font": [3.99, 400.01, "20", None],
    "color": ["red", "#12345", "#abcd", "#ggg", 0x123, "#1234567", " #123", None],
    "width": [0.49, 200.5, 0, -1, "4"],
    "text": ["x" * 4001, 5, None, ["a"], "bell\u0007", "nul\u0000", "\ufffe", "a\ud800b"],
    "asset": ["A" * 64, "0" * 63, "0" * 65, "g" * 64, 7, None, ["0" * 64]],
    "page": [0, 201, 1.5, True, "2", -1],
    "flag": [0, 1, "true", [True]],
}
_GOOD_VALUES: dict[str, list[Any]] = {
    "x": [0, -1e6, 1e6, 12.345, -7],
    "w": [-1e6, 0, 3],
    "points": [[[0, 0]], [[1, 2, 0], [3, 4, 1]], [[0, 0]] * 20_000],
    "font": [4, 400, 17.5],
    "color": ["#abc", "#ABCDEF", "#000000"],
    "width": [0.5, 200, 3],
    "text": ["", "x" * 4000, "two\nlines", "\u00e9\u4e2d\U0001f600"],
    "asset": ["0" * 64, "abcdef0123456789" * 4],
    "page": [1, 2, 200, 1.0],
    "flag": [True, False],
}


def _server_accepts(el: dict[str, Any]) -> bool:
    try:
        elements.validate(el, "ann")
    except ProtocolError:
        return False
    return True


@pytest.mark.timeout(60)
def test_check_element_is_exactly_as_strict_as_the_server() -> None:
    """Every field of every type, set to values the server refuses and to edge values it
    accepts, and each required field left out: the page's checkElement says yes exactly when
    the server's validate does."""
    rng = random.Random(5)
    cases: list[dict[str, Any]] = []
    for i, (name, etype) in enumerate(sorted(elements.TYPES.items())):
        base = _random_element(rng, name, i)
        base.pop("userId")
        cases.append(base)
        for fname, spec in etype.fields.items():
            kind = "x" if spec.kind in ("x", "y") else "w" if spec.kind in ("w", "h") else spec.kind
            for value in _BAD_VALUES[kind] + _GOOD_VALUES[kind]:
                cases.append({**base, fname: value})
            missing = dict(base)
            missing.pop(fname, None)
            cases.append(missing)
        cases.append({**base, "id": ""})
        cases.append({**base, "id": "x" * 65})
        cases.append({**base, "id": "x" * 64})
        cases.append({**base, "id": 7})
    cases.append({"id": "u", "elementType": "star", "strokeColor": "#000", "strokeWidth": 1})
    cases.append({"id": "u", "elementType": ["line"], "strokeColor": "#000", "strokeWidth": 1})
    verdicts = page({"op": "check", "elements": cases})
    accepted = 0
    for case, error in zip(cases, verdicts, strict=True):
        server = _server_accepts(case)
        accepted += server
        brief = {k: (v if len(json.dumps(v)) < 80 else "...") for k, v in case.items()}
        assert (error == "") == server, (brief, error)
    assert 0 < accepted < len(cases)


@pytest.mark.timeout(60)
def test_wire_element_is_what_the_server_accepts() -> None:
    """Local fields (a userId, whatever the page keeps beside an element) never reach the
    server: wireElement keeps only the type's fields, and the server accepts the result."""
    rng = random.Random(8)
    els = [{**_random_element(rng, name, i), "selected": True, "version": 3}
           for i, name in enumerate(sorted(elements.TYPES))]
    assert not any(_server_accepts(el) for el in els)
    for wired in page({"op": "wire", "elements": els}):
        assert "userId" not in wired
        assert _server_accepts(wired), wired
