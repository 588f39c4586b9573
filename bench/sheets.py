"""The printed sheet: one personalised sheet, warm; and 200 sheets on every core.

Overviews come from the demo database (load_overview of visits picked at random, so retests,
with their longer "since last time" lines, come in their usual share), so the sheets carry the
same variety as an MOT day. Loading them is not part of the sheet figures.
`sheet_ms` is the median of warm renders of ffmot.report.sheet.sheet_pdf (fonts registered and
modules imported by a first render that is not counted), cycling through the overviews;
`batch_200_s` is ffmot.report.batch.sheets_pdf for 200 of them, which starts its worker
processes, renders on all cores and joins one PDF: the wait someone printing a day has.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from bench.common import percentile


def overviews(db_path: Path, n: int, seed: int = 5) -> list[Any]:
    """n visits picked at random (seeded) from the whole database, so first visits and
    retests come in their usual proportion; as overviews, in that random order."""
    import random

    from sqlalchemy import select

    from ffmot.services.overview import load_overview
    from ffmot.store.db import connect
    from ffmot.store.models import Assessment

    db = connect(str(db_path))
    try:
        with db.transaction() as s:
            ids = list(s.scalars(select(Assessment.id).order_by(Assessment.id)))
        picked = random.Random(seed).sample(ids, min(n, len(ids)))
        return [load_overview(db, i) for i in picked]
    finally:
        db.close()


def run(db_path: Path, warm_sheets: int, batch: int) -> dict[str, Any]:
    from ffmot.report.sheet import sheet_pdf

    out: dict[str, Any] = {}
    os_ = overviews(db_path, max(batch, warm_sheets))
    sheet_pdf(os_[0])  # cold: imports, fonts
    times = []
    for i in range(warm_sheets):
        t = time.perf_counter()
        sheet_pdf(os_[i % len(os_)])
        times.append(time.perf_counter() - t)
    ms = [x * 1000 for x in times]
    out["sheet_ms"] = round(statistics.median(ms), 1)
    out["sheet_ms_p95"] = round(percentile(ms, 95), 1)
    out["sheet_ms_max"] = round(max(ms), 1)
    out["sheet_samples"] = warm_sheets
    try:
        from ffmot.report.batch import default_workers, sheets_pdf
    except ImportError:
        out["batch_note"] = "ffmot.report.batch is not there"
        return out
    t = time.perf_counter()
    pdf = sheets_pdf(os_[:batch], workers=2)
    elapsed = time.perf_counter() - t
    out[f"batch_{batch}_s"] = round(elapsed, 2)
    out["batch_sheets"] = batch
    out["batch_workers"] = min(2, default_workers())
    out["batch_pdf_mb"] = round(len(pdf) / 1e6, 2)
    return out
