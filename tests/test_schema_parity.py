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

from lanboard import elements

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


def _random_element(rng: random.Random, kind: str, i: int) -> dict[str, Any]:
    def coord() -> float:
        return rng.uniform(-5000, 5000)

    el: dict[str, Any] = {"id": f"e{i}", "elementType": kind, "strokeColor": "#123456",
                          "strokeWidth": rng.choice([1, 2.5, 8]), "userId": "ann"}
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
    cases = []
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
    cases = []
    for i, kind in enumerate(sorted(elements.TYPES) * 2):
        el = _random_element(rng, kind, i)
        cases.append({"element": el, "set": sets[i % len(sets)]})
    ours = page({"op": "cases", "cases": cases})
    for case, got in zip(cases, ours, strict=True):
        want = elements.with_set(case["element"], case["set"])
        assert got["element"] == want, case
