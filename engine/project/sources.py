"""One vocabulary for where a point comes from, between landmark tables and the project.

The project says who placed a point (:class:`LandmarkSource`: template, predicted,
corrected). A table's ``source`` text column uses the same words; tables the pipeline
writes say instead which step gave a point in their ``stage`` column (template, tpl,
refined, instant), which reads as template or predicted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from engine.data.landmarks import SOURCE_COLUMN, STAGE_COLUMN, LandmarkTable
from engine.errors import LandmarkFileError
from engine.project.model import ImageRecord, Landmark, LandmarkSource
from engine.project.store import Project

STAGE_SOURCES = {"template": LandmarkSource.TEMPLATE, "tpl": LandmarkSource.PREDICTED,
                 "refined": LandmarkSource.PREDICTED, "instant": LandmarkSource.PREDICTED}


def sources_of(table: LandmarkTable, key: str) -> list[LandmarkSource | None]:
    """Per landmark, where the point of row ``key`` comes from: the ``source`` column, else
    the ``stage`` column, else predicted (``None`` where the cell is empty)."""
    for column, words in ((SOURCE_COLUMN, {s.value: s for s in LandmarkSource}),
                          (STAGE_COLUMN, STAGE_SOURCES)):
        cells = table.text.get(column, {}).get(key)
        if cells is None:
            continue
        unknown = sorted({c for c in cells if c and c not in words})
        if unknown:
            raise LandmarkFileError(
                f"'{column}' of image '{key}' holds {unknown}; it takes {', '.join(words)}")
        return [words[c] if c else None for c in cells]
    return [LandmarkSource.PREDICTED] * table.n_landmarks


def set_sources(table: LandmarkTable, key: str, sources: Sequence[LandmarkSource | None]) -> None:
    """Write ``sources`` (one per landmark, ``None``: no point) into the ``source`` column."""
    if len(sources) != table.n_landmarks:
        raise ValueError(f"{len(sources)} sources for {table.n_landmarks} landmarks")
    table.text.setdefault(SOURCE_COLUMN, {})[key] = [
        LandmarkSource(s).value if s is not None else "" for s in sources]


def project_table(project: Project, records: Sequence[ImageRecord] | None = None,
                  ) -> LandmarkTable:
    """The project's landmarks (of ``records``, default all images) as a table keyed by the
    image's full path, with ``source`` and ``confidence`` columns."""
    table = LandmarkTable(project.schema.names)
    confidence = table.values.setdefault("confidence", {})
    for rec in records if records is not None else project.images():
        key = str(rec.path)
        marks = project.landmarks(rec.id)
        table.points[key] = np.array(
            [(lm.x, lm.y) if lm is not None else (math.nan, math.nan) for lm in marks])
        confidence[key] = np.array(
            [lm.confidence if lm is not None and lm.confidence is not None else math.nan
             for lm in marks])
        set_sources(table, key, [lm.source if lm is not None else None for lm in marks])
    return table


def table_landmarks(table: LandmarkTable, key: str) -> list[Landmark | None]:
    """Row ``key`` of ``table`` as project landmarks (``None`` where there is no point)."""
    points = table.points[key]
    confidence = table.values.get("confidence", {}).get(key)
    out: list[Landmark | None] = []
    for i, source in enumerate(sources_of(table, key)):
        x, y = (float(v) for v in points[i])
        if source is None or not (math.isfinite(x) and math.isfinite(y)):
            out.append(None)
            continue
        conf = float(confidence[i]) if confidence is not None else math.nan
        out.append(Landmark(x, y, source, conf if math.isfinite(conf) else None))
    return out

