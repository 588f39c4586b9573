"""The anonymised export is k-anonymous as written: measured on the file, and joined back to the
database as a motivated intruder would, on demo MOT days of 40 and 400 people and on tiny ones."""

from __future__ import annotations

import datetime as dt

import pytest

from ffmot.core import anonymity as A
from ffmot.core import screening
from ffmot.core.ages import age_band, age_bands, band_words
from ffmot.core.errors import InputError
from ffmot.demo import generate
from ffmot.services import records as R
from ffmot.services.demo_load import load_demo
from ffmot.services.export import export_file, export_rows
from ffmot.store.db import connect
from tests.cli.test_cli import ffmot
from tests.k_anonymity import assert_k_anonymous, measure_k, read_export, reidentify

D = dt.date


def crowd(db, actor, event_id, n, born=None, sex="female"):
    """n consenting people alike (same sex, born the same year), each with a grip result."""
    born = born or D(1952, 6, 1)
    people = []
    for i in range(n):
        p = R.register_participant(
            db,
            actor,
            f"Person{i}",
            "Crowdley",
            born + dt.timedelta(days=i),
            sex,
            consents={"keep_results": True, "anonymous_reports": True},
        )
        v = R.check_in(db, actor, p.id, event_id)
        R.record_screening(db, actor, v.id, screening.answers_with())
        R.save_result(db, actor, v.id, "grip", [(20 + i, "right 1")])
        people.append((p, v))
    return people


def test_a_40_person_demo_day_is_k_anonymous_as_written(db, tmp_path, actor):
    load_demo(db, actor, generate(participants=40, seed=5), seed=5)
    for k, fmt in ((5, "csv"), (10, "xlsx")):
        out = tmp_path / f"anon-{k}.{fmt}"
        s = export_file(db, actor, out, fmt, anonymised=True, k=k)
        assert s.k_anonymity is not None and s.k_anonymity.k == k
        rows = read_export(out)
        assert rows and len({r["export_id"] for r in rows}) == s.participants
        measured = assert_k_anonymous(out, k)
        assert measured == s.k_anonymity.smallest_group
        assert reidentify(db, out) >= k
        assert "Crowdley" not in out.read_text(errors="ignore")
        if s.k_anonymity.left_out:
            assert "too few like them to keep them unrecognisable" in s.k_anonymity.describe()


def test_a_400_person_demo_through_the_command_line(tmp_path):
    path = tmp_path / "ffmot.db"
    assert ffmot("--db", str(path), "demo", "--participants", "400", "--seed", "7").returncode == 0
    for k in ("5", "10"):
        out = tmp_path / f"anon-{k}.csv"
        args = ["export", "--format", "csv", "--out", str(out), "--anonymised", "--k", k]
        p = ffmot("--db", str(path), *args)
        assert p.returncode == 0, p.stderr
        assert f"at least {k} people share every MOT day, date, age band and sex" in p.stdout
        assert_k_anonymous(out, int(k))
        db = connect(str(path))
        try:
            assert reidentify(db, out) >= int(k)
        finally:
            db.close()
    p = ffmot("--db", str(path), "export", "--format", "csv", "--out", str(out), "--k", "5")
    assert p.returncode == 2 and "--k goes with --anonymised" in p.stderr


def test_a_tiny_day_is_refused_and_nothing_is_written(db, tmp_path, actor):
    e = R.create_event(db, actor, "Keswick MOT day", D(2026, 5, 1), "Keswick Hall")
    crowd(db, actor, e.id, 4)
    out = tmp_path / "anon.csv"
    out.write_text("was here before\n")
    with pytest.raises(A.TooFewToAnonymise, match="nothing was written"):
        export_file(db, actor, out, "csv", anonymised=True)
    assert out.read_text() == "was here before\n" and not list(tmp_path.glob(".ffmot-*"))
    crowd(db, actor, e.id, 1, born=D(1952, 7, 1))  # a fifth alike: now it can be written
    export_file(db, actor, out, "csv", anonymised=True)
    assert assert_k_anonymous(out, 5) == 5 and reidentify(db, out) == 5
    assert "Keswick" not in out.read_text()  # the day's name and venue are never written
    assert {r["event"] for r in read_export(out)} == {"MOT day 1"}
    assert {r["event_date"] for r in read_export(out)} == {"2026-05"}
    with pytest.raises(A.TooFewToAnonymise):
        export_file(db, actor, out, "csv", anonymised=True, k=10)


def test_k_below_five_is_not_anonymous(db, tmp_path, actor):
    with pytest.raises(InputError, match="k must be at least 5"):
        export_file(db, actor, tmp_path / "a.csv", "csv", anonymised=True, k=2)
    assert not (tmp_path / "a.csv").exists()


def test_the_one_person_unlike_the_rest_is_left_out_and_counted(db, tmp_path, actor):
    e = R.create_event(db, actor, "MOT day", D(2026, 5, 1), "Hall")
    crowd(db, actor, e.id, 6)
    crowd(db, actor, e.id, 1, born=D(1930, 1, 1), sex="male")  # 96, the only man
    rows, s = export_rows(db, anonymised=True)
    assert s.participants == 6 and s.k_anonymity is not None and s.k_anonymity.left_out == 1
    assert "1 people left out: too few like them" in s.k_anonymity.describe()
    assert {r["sex"] for r in rows} == {"female"}


def test_rare_ways_a_test_went_cannot_single_anyone_out(db, tmp_path, actor):
    """Walking aid, felt unsafe, stopped: banded, and kept only where k people share them."""
    e = R.create_event(db, actor, "MOT day", D(2026, 5, 1), "Hall")
    people = crowd(db, actor, e.id, 12)
    for _, v in people[:6]:
        R.mark_not_done(db, actor, v.id, "up_and_go", "felt_unsafe")
    R.mark_not_done(db, actor, people[6][1].id, "up_and_go", "declined")  # one declined
    R.save_result(
        db, actor, people[7][1].id, "up_and_go", [(14, "")], modifications=["walking_aid"]
    )
    out = tmp_path / "anon.csv"
    s = export_file(db, actor, out, "csv", anonymised=True)
    assert assert_k_anonymous(out, 5) >= 5
    rows = [r for r in read_export(out) if r["test"] == "up_and_go"]
    # Six "felt unsafe" are written "unable"; the one who declined (cleared, still alone) and
    # the one with a walking aid are left out of the up-and-go.
    assert [(r["done"], r["reason"], r["modifications"]) for r in rows] == [
        ("no", "unable", "")
    ] * 6
    assert s.k_anonymity is not None and s.participants == 12
    assert s.k_anonymity.results_left_out == 2


def test_the_ladder_goes_no_further_than_it_needs():
    rows = [
        A.Row(f"p{i}", "female", 70 + i % 3, "d1", D(2026, 5, 1), {"test": "grip", "done": "yes"})
        for i in range(10)
    ]
    out, o = A.anonymise(rows, 5)
    assert o.level == A.LADDER[0] and o.left_out == 0 and o.smallest_group == 10
    assert {(r["event"], r["event_date"], r["age_band"]) for r in out} == {
        ("MOT day 1", "2026-05", "70-74")
    }
    # Two days of five women each, 63 to 68: 10-year bands suffice, the days stay.
    rows = [
        A.Row(f"p{i}", "female", 63 + i % 6, f"d{i % 2}", D(2026, 5 + i % 2, 1), {"test": "grip"})
        for i in range(10)
    ]
    out, o = A.anonymise(rows, 5)
    assert o.level == A.LADDER[1] and o.left_out == 0 and measure_rows(out) == 5
    assert {r["event"] for r in out} == {"MOT day 1", "MOT day 2"}
    assert age_band(59, 10, 80) == "under 60" and age_band(85, 10, 80) == "80 and over"
    assert age_band(69, 10, 90) == "60-69" and age_band(94, 5, 95) == "90-94"


def test_one_definition_of_age_bands_for_the_summary_and_the_export():
    """The summary's bands and the export's ladder come from one rule: the summary's are the
    ones it always published, and each band is said in the language spoken."""
    from ffmot.core import i18n
    from ffmot.core.published import AGE_BANDS

    assert AGE_BANDS == (
        "under 60", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90 and over"
    )  # fmt: skip
    assert age_bands(10, 80) == ("under 60", "60-69", "70-79", "80 and over")
    assert {age_band(a) for a in range(40, 110)} == set(AGE_BANDS)
    with i18n.speaking("qps"):
        assert band_words("90 and over") == "[90 åñđ övéŕ ~~~]"
        assert band_words("under 60") == "[ûñđéŕ 60 ~~]" and band_words("60-64") == "60-64"


def measure_rows(out: list[dict[str, str]]) -> int:
    groups: dict[tuple[str, ...], set[str]] = {}
    for r in out:
        groups.setdefault(tuple(r[c] for c in A.QUASI_IDENTIFIERS), set()).add(r["export_id"])
    return min(len(g) for g in groups.values())


def test_an_empty_export_is_an_empty_file(db, tmp_path, actor):
    out = tmp_path / "anon.csv"
    s = export_file(db, actor, out, "csv", anonymised=True)
    assert s.rows == 0 and measure_k(out) == 0
    assert read_export(out) == []
