"""The floors the end-to-end benchmarks are measured against: the least a program could do for
the same output, with the same libraries, run as a command of its own.

    python -m bench.floors csv IN.csv OUT.csv EXTRA [LIKE.csv]
                                                         the csv module reading IN and writing
                                                         each row with EXTRA more cells (empty,
                                                         or as LIKE has them for its test)
    python -m bench.floors export DB OUT.csv [EVENT_ID]  one SQL query (visits, participants,
                                                         MOT days, results) on ffmot's own
                                                         connection, written by the csv module
"""

from __future__ import annotations

import csv
import itertools
import sys


def copy_csv(src: str, dst: str, extra: int, like: str | None = None) -> None:
    """Each row of `src` written with `extra` more cells: empty, or with `like` (the scored
    file) the cells scored for the first row of the same first cell (test), so that about as
    many bytes are written as scoring writes (three times as many for score --batch)."""
    pad = [""] * extra
    cells = _cells_by_first(like, extra) if like else {}
    with open(src, newline="", encoding="utf-8-sig") as f, open(dst, "w", newline="") as o:
        w = csv.writer(o)
        for row in csv.reader(f):
            w.writerow(row + cells.get(row[0] if row else "", pad))


def _cells_by_first(path: str, extra: int, rows: int = 10_000) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in itertools.islice(csv.reader(f), rows):
            if row:
                out.setdefault(row[0], row[-extra:])
    return out


def export(url: str, dst: str, event_id: str | None) -> None:
    from ffmot.store.db import connect

    db = connect(url)
    sql = (
        "SELECT * FROM assessment a JOIN participant p ON a.participant_id = p.id "
        "JOIN event e ON a.event_id = e.id LEFT JOIN result r ON r.assessment_id = a.id"
    )
    if event_id:
        sql += " WHERE e.id = '" + event_id.replace("'", "''") + "'"
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(sql)
        with open(dst, "w", newline="") as o:
            w = csv.writer(o)
            w.writerow([d[0] for d in cur.description])
            while rows := cur.fetchmany(2000):
                w.writerows(rows)
    finally:
        raw.close()
        db.close()


def main(argv: list[str]) -> int:
    if argv[0] == "csv":
        copy_csv(argv[1], argv[2], int(argv[3]), argv[4] if len(argv) > 4 else None)
    elif argv[0] == "export":
        export(argv[1], argv[2], argv[3] if len(argv) > 3 else None)
    else:
        raise SystemExit(f"unknown floor {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
