"""Version vectors: which copy of a fact came after which, without trusting any clock."""

from __future__ import annotations

from ffmot.core import lineage as L


def test_a_change_after_seeing_a_copy_comes_after_it():
    station = L.bump(None, "Station 2")
    corrected = L.bump(station, "Results table")
    assert L.order(corrected, station) == "before"  # the station's copy is older
    assert L.order(station, corrected) == "after"
    assert L.order(corrected, corrected) == "same"


def test_changes_in_two_places_without_seeing_each_other_are_apart():
    start = L.bump(None, "Station 2")
    here = L.bump(start, "Results table")
    there = L.bump(start, "Station 2")
    assert L.order(here, there) == "apart" and L.order(there, here) == "apart"
    settled = L.bump(L.join(here, there), "Results table")
    assert L.order(settled, here) == "before" and L.order(settled, there) == "before"
    assert L.order(settled, L.bump(there, "Station 2")) == "apart"  # a new change still counts


def test_a_record_from_before_vectors_counts_its_versions_at_its_station():
    assert L.of(None, "Station 2", 3) == {"Station 2": 3}
    assert L.of(None, "", 3) == {} and L.of({}, "Station 2", 1) == {"Station 2": 1}
    assert L.of({"Station 5": 2}, "Station 2", 7) == {"Station 5": 2}


def test_a_damaged_vector_never_breaks_a_merge():
    assert L.clean({"a": 2, "b": -1, "c": "x", "d": True, "e": 1.5}) == {"a": 2}
    assert L.clean(["a", 1]) == {} and L.clean(None) == {}
    assert L.order({}, {}) == "same" and L.order(None, {"a": 1}) == "after"
