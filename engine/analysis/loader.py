"""Analysis files: JSON that defines measurements as data, checked on load.

    {"format": 1, "id": "isbi2015", "name": "...", "schema": "isbi2015_cephalometric",
     "landmarks": 19, "frame": [1, 2, 8], "description": "...", "source": "...",
     "measurements": [
       {"id": "SNA", "name": "SNA", "kind": "angle", "points": [1, 2, 5],
        "classes": [{"name": "C1", "meaning": "normal maxilla", "min": 79.4, "max": 83.2,
                     "normal": true}, ...]},
       {"id": "ANB", "kind": "sum", "terms": ["SNA", "-SNB"], ...}]}

Kinds: ``angle`` (points a, vertex, b), ``line_angle`` (lines [[a, b], [c, d]], optional
``signed``, which needs the top-level ``frame``), ``distance`` (points [start, end],
optional ``sign_along`` [c, d]), ``ratio`` (lines: numerator, denominator) and ``sum``
(terms: ids of earlier measurements, ``-`` in front to subtract). ``hidden`` marks a
part of a sum that is not reported alone. Landmark numbers are 1-based and at most
``landmarks``. Unknown keys are errors, so a typo never silently drops a setting.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

from engine.analysis.analysis import Analysis
from engine.analysis.model import (
    KINDS,
    QUANTITY_OF_KIND,
    AnalysisError,
    ClassRange,
    Measurement,
)
from engine.json_files import JsonReadError, read_json

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TOP_KEYS = {"format", "id", "name", "schema", "landmarks", "frame", "description", "source",
             "measurements"}
_KEYS = {"id", "name", "kind", "points", "lines", "signed", "sign_along", "terms", "classes",
         "hidden", "description", "note"}
_NEEDS = {"angle": ("points",), "line_angle": ("lines",), "distance": ("points",),
          "ratio": ("lines",), "sum": ("terms",)}
_CLASS_KEYS = {"name", "meaning", "min", "max", "normal"}


def shipped_analyses_dir() -> Path:
    """``<repo>/resources/analyses`` (``CC2D_ANALYSES_DIR`` overrides it)."""
    override = os.environ.get("CC2D_ANALYSES_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "resources" / "analyses"


def shipped_analysis_ids() -> list[str]:
    folder = shipped_analyses_dir()
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def analysis_for_schema(schema_id: str, n_landmarks: int) -> Analysis | None:
    """The shipped analysis written for a landmark schema: its file names the schema's id
    (``"schema"``) and its landmark count. None when no shipped analysis does."""
    for analysis_id in shipped_analysis_ids():
        analysis = load_analysis(shipped_analyses_dir() / f"{analysis_id}.json")
        if analysis.schema == schema_id and analysis.n_landmarks == n_landmarks:
            return analysis
    return None


def load_analysis(spec: str | os.PathLike[str]) -> Analysis:
    """An analysis from a JSON file path or the id of a shipped one (``isbi2015``)."""
    path = Path(spec)
    if not path.is_file():
        shipped = shipped_analyses_dir() / f"{spec}.json"
        if not shipped.is_file():
            raise AnalysisError(
                f"analysis '{spec}' is neither a JSON file nor a shipped analysis "
                f"(shipped: {', '.join(shipped_analysis_ids()) or 'none'})")
        path = shipped
    try:
        data = read_json(path)
    except JsonReadError as exc:
        raise AnalysisError(f"cannot read analysis file {path}: {exc}") from None
    return parse_analysis(data, where=str(path))


def parse_analysis(data: Any, where: str = "analysis") -> Analysis:
    """Check ``data`` (a parsed analysis file) and build the :class:`Analysis`."""
    if not isinstance(data, dict):
        raise AnalysisError(f"{where}: expected a JSON object at the top")
    _no_unknown(data, _TOP_KEYS, where)
    if data.get("format") != 1:
        raise AnalysisError(f"{where}: 'format' must be 1, got {data.get('format')!r}")
    n = data.get("landmarks")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise AnalysisError(f"{where}: 'landmarks' must be the schema's landmark count")
    frame = None
    if "frame" in data:
        frame = _landmarks(data["frame"], 3, n, f"{where}: frame")
    raw = data.get("measurements")
    if not isinstance(raw, list) or not raw:
        raise AnalysisError(f"{where}: 'measurements' must be a non-empty list")
    measurements: dict[str, Measurement] = {}
    for k, item in enumerate(raw, start=1):
        m = _measurement(item, n, frame, measurements, f"{where}: measurement {k}")
        measurements[m.id] = m
    return Analysis(id=_text(data, "id", where), name=_text(data, "name", where),
                    n_landmarks=n, measurements=tuple(measurements.values()),
                    frame=frame, schema=data.get("schema"),
                    description=data.get("description", ""), source=data.get("source", ""))


def _measurement(item: Any, n: int, frame: tuple[int, int, int] | None,
                 earlier: dict[str, Measurement], where: str) -> Measurement:
    if not isinstance(item, dict):
        raise AnalysisError(f"{where}: expected an object")
    _no_unknown(item, _KEYS, where)
    mid = _text(item, "id", where)
    if not _ID.match(mid):
        raise AnalysisError(f"{where}: id {mid!r} must be letters, digits, _ (a letter first)")
    if mid in earlier:
        raise AnalysisError(f"{where}: id '{mid}' is used twice")
    where = f"{where} ({mid})"
    kind = item.get("kind")
    if kind not in KINDS:
        raise AnalysisError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    for key in _NEEDS[kind]:
        if key not in item:
            raise AnalysisError(f"{where}: a {kind} needs '{key}'")
    signed = item.get("signed", False)
    if not isinstance(signed, bool) or (signed and kind != "line_angle"):
        raise AnalysisError(f"{where}: 'signed' is true/false, for a line_angle only")
    if signed and frame is None:
        raise AnalysisError(f"{where}: a signed angle needs the analysis' 'frame' "
                            "(three landmarks that say which way the face looks)")
    fields: dict[str, Any] = {"signed": signed}
    if kind in ("angle", "distance"):
        fields["points"] = _landmarks(item["points"], 3 if kind == "angle" else 2, n,
                                      f"{where}: points")
    if kind in ("line_angle", "ratio"):
        lines = item["lines"]
        if not isinstance(lines, list) or len(lines) != 2:
            raise AnalysisError(f"{where}: 'lines' must be two [from, to] pairs")
        fields["lines"] = tuple(_landmarks(line, 2, n, f"{where}: line") for line in lines)
    if "sign_along" in item:
        if kind != "distance":
            raise AnalysisError(f"{where}: 'sign_along' is for a distance only")
        fields["sign_along"] = _landmarks(item["sign_along"], 2, n, f"{where}: sign_along")
    quantity = QUANTITY_OF_KIND.get(kind)
    if kind == "sum":
        fields["terms"] = _terms(item["terms"], earlier, where)
        quantities = {earlier[t].quantity for t, _ in fields["terms"]}
        if len(quantities) > 1:
            raise AnalysisError(f"{where}: a sum cannot add {' and '.join(sorted(quantities))}")
        quantity = quantities.pop()
    hidden = item.get("hidden", False)
    if not isinstance(hidden, bool):
        raise AnalysisError(f"{where}: 'hidden' is true or false")
    return Measurement(id=mid, name=item.get("name", mid), kind=kind, quantity=quantity,
                       classes=_classes(item.get("classes", []), where), hidden=hidden,
                       description=item.get("description", ""), note=item.get("note", ""),
                       **fields)


def _terms(raw: Any, earlier: dict[str, Measurement], where: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(t, str) for t in raw):
        raise AnalysisError(f"{where}: 'terms' must be a list of measurement ids")
    terms = []
    for t in raw:
        sign, tid = (-1.0, t[1:]) if t.startswith("-") else (1.0, t.lstrip("+"))
        if tid not in earlier:
            raise AnalysisError(f"{where}: term '{tid}' is not a measurement defined before it")
        terms.append((tid, sign))
    return tuple(terms)


def _classes(raw: Any, where: str) -> tuple[ClassRange, ...]:
    if not isinstance(raw, list):
        raise AnalysisError(f"{where}: 'classes' must be a list")
    out: list[ClassRange] = []
    for item in raw:
        if not isinstance(item, dict):
            raise AnalysisError(f"{where}: each class is an object")
        _no_unknown(item, _CLASS_KEYS, f"{where}: class")
        name = _text(item, "name", f"{where}: class")
        lo, hi = (_bound(item.get(k), f"{where}: class {name} {k}") for k in ("min", "max"))
        if lo is None and hi is None:
            raise AnalysisError(f"{where}: class {name} needs 'min', 'max' or both")
        if lo is not None and hi is not None and lo > hi:
            raise AnalysisError(f"{where}: class {name} has min {lo} > max {hi}")
        if name in {c.name for c in out}:
            raise AnalysisError(f"{where}: class {name} appears twice")
        normal = item.get("normal", False)
        if not isinstance(normal, bool):
            raise AnalysisError(f"{where}: class {name} 'normal' is true or false")
        out.append(ClassRange(name=name, meaning=item.get("meaning", ""), min=lo, max=hi,
                              normal=normal))
    if sum(c.normal for c in out) > 1:
        raise AnalysisError(f"{where}: at most one class is the normal one")
    return tuple(out)


def _landmarks(raw: Any, count: int, n: int, where: str) -> tuple[int, ...]:
    """1-based landmark numbers → 0-based indices, checked."""
    if (not isinstance(raw, list) or len(raw) != count
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in raw)):
        raise AnalysisError(f"{where}: expected {count} landmark numbers, got {raw!r}")
    if not all(1 <= i <= n for i in raw):
        raise AnalysisError(f"{where}: landmark numbers run from 1 to {n}, got {raw}")
    if len(set(raw)) != count:
        raise AnalysisError(f"{where}: landmarks {raw} repeat one")
    return tuple(i - 1 for i in raw)


def _bound(raw: Any, where: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise AnalysisError(f"{where}: {raw!r} is not a number")
    return float(raw)


def _text(data: dict, key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise AnalysisError(f"{where}: '{key}' must be a non-empty text")
    return value


def _no_unknown(data: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise AnalysisError(f"{where}: unknown key(s) {', '.join(unknown)} "
                            f"(allowed: {', '.join(sorted(allowed))})")
