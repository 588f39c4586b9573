"""A norm set is the published one only when its files match a published manifest, checksum for
checksum; anything else is read, but marked LOCAL, UNVERIFIED, and its edited numbers name no
published source.

Real folders: a copy of the shipped norms/, edited the way a person would edit it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ffmot.core.norms import load_norm_set
from ffmot.core.paths import norms_dir
from ffmot.core.scoring import score

pytestmark = pytest.mark.hostile("norm folders")

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "norm_manifest.py"
# The plausible wrong edit: women 75-79 on the chair stand, 10-15 (median 12) made 3-6.
PUBLISHED_ROW = "chair_stand,female,75,79,10,15,12,"
EDITED_ROW = "chair_stand,female,75,79,3,6,5,"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    dst = tmp_path / "norms"
    shutil.copytree(norms_dir(), dst)
    return dst


def _edit_chair_stand(folder: Path) -> None:
    path = folder / "sft_normal_ranges.csv"
    text = path.read_text(encoding="utf-8")
    assert text.count(PUBLISHED_ROW) == 1
    path.write_text(text.replace(PUBLISHED_ROW, EDITED_ROW), encoding="utf-8")


def _tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=120
    )


def test_the_shipped_set_verifies():
    ns = load_norm_set(norms_dir())
    assert (norms_dir() / "manifest.toml").is_file(), "run tools/norm_manifest.py"
    assert ns.verified, ns.verification.reason
    assert ns.version == "2026.12-1" and "LOCAL" not in ns.version
    assert ns.label == "Norm set 2026.12-1 (verified)"
    s = score("chair_stand", "female", 77, 12, norms=ns)
    assert s.band == "normal" and s.source == "Rikli & Jones 1999, Senior Fitness Test (confirmed)"


def test_the_chair_stand_edit_is_found_named_and_never_cited_as_published(copy):
    _edit_chair_stand(copy)
    ns = load_norm_set(copy)
    assert not ns.verified
    assert ns.verification.changed == ("sft_normal_ranges.csv",)
    assert ns.verification.missing == () and ns.verification.extra == ()
    assert ns.label == (
        "Norm set 2026.12-1 \u2014 LOCAL, UNVERIFIED: changed from the published set "
        "(norms/sft_normal_ranges.csv)"
    )
    # The version stored with a MOT day and printed on every sheet carries the mark too.
    assert ns.version == "2026.12-1 LOCAL, UNVERIFIED" and len(ns.version) <= 40
    s = score("chair_stand", "female", 77, 8, norms=ns)
    assert (s.normal_range, s.band) == ((3, 6), "above_average")  # the edit is used...
    assert s.source == "local edit, not the published source (sft_normal_ranges.csv)"
    assert "confirmed" not in s.source and "Rikli" not in s.source  # ...but never passed off
    # Every number of the edited file, not only the edited row: which row changed is unknown.
    assert "Rikli" not in score("arm_curl", "male", 70, 15, norms=ns).source
    # A file that is still the published one keeps its source and status.
    assert score("grip", "female", 77, 20, norms=ns).source.startswith("Dodds")


def test_a_change_to_the_sources_puts_every_number_in_doubt(copy):
    path = copy / "sources.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    ns = load_norm_set(copy)
    assert ns.verification.changed == ("sources.toml",)
    for test, value in (("grip", 20), ("chair_stand", 12), ("single_leg_stance", 20)):
        source = score(test, "female", 77, value, norms=ns).source
        assert source.startswith("local edit, not the published source"), source


def test_a_folder_without_a_manifest_is_a_local_protocol(copy):
    (copy / "manifest.toml").unlink()
    ns = load_norm_set(copy)  # read, as a local protocol must be...
    assert not ns.verified and not ns.verification.has_manifest
    assert "LOCAL, UNVERIFIED" in ns.label and "no manifest" in ns.label
    assert ns.version.endswith("LOCAL, UNVERIFIED")
    for test, value in (("grip", 20), ("chair_stand", 12)):
        source = score(test, "female", 77, value, norms=ns).source
        assert "not checked against the published source" in source
        assert "confirmed" not in source and "single-source" not in source


def test_missing_and_added_files_are_named(copy):
    (copy / "local_extra.csv").write_text("test,value\n", encoding="utf-8")
    (copy / "README.md").write_text("our notes\n", encoding="utf-8")  # notes are not data
    (copy / ".~lock.flags.csv#").write_text("lock", encoding="utf-8")  # nor an editor's lock
    ns = load_norm_set(copy)
    assert ns.verification.extra == ("local_extra.csv",) and ns.verification.changed == ()
    assert "not in the published set (norms/local_extra.csv)" in ns.label
    manifest = copy / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('"flags.csv"', '"flags_old.csv"'), encoding="utf-8")
    v = load_norm_set(copy).verification
    assert v.missing == ("flags_old.csv",) and "flags.csv" in v.extra and not v.verified


def test_a_windows_checkout_of_the_same_files_verifies(copy):
    for path in copy.iterdir():
        if path.suffix in (".csv", ".toml") and path.name != "manifest.toml":
            path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    assert load_norm_set(copy).verified


def test_an_unreadable_manifest_is_local_not_a_crash(copy):
    (copy / "manifest.toml").write_text("files = [not toml", encoding="utf-8")
    ns = load_norm_set(copy)
    assert not ns.verified and "manifest cannot be read" in ns.label


def test_the_tool_regenerates_a_manifest_that_verifies(copy):
    shipped = (copy / "manifest.toml").read_text(encoding="utf-8")
    (copy / "manifest.toml").unlink()
    p = _tool(str(copy))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "the published norm set 2026.12-1" in p.stdout
    assert (copy / "manifest.toml").read_text(encoding="utf-8") == shipped
    assert load_norm_set(copy).verified
    check = _tool("--check", str(copy))
    assert check.returncode == 0 and not check.stderr


def test_a_manifest_rewritten_after_an_edit_does_not_make_it_published(copy):
    """The easy way round a checksum warning is to run the tool again: the files then match
    the manifest, but the manifest is not one ffmot was released with."""
    _edit_chair_stand(copy)
    p = _tool(str(copy))
    assert p.returncode == 1 and "LOCAL, UNVERIFIED" in p.stdout and "PUBLISHED" in p.stdout
    ns = load_norm_set(copy)
    assert not ns.verified and ns.verification.differing == ()
    assert "manifest was written locally" in ns.label
    source = score("chair_stand", "female", 77, 8, norms=ns).source
    assert source == "local file, not checked against the published source (sft_normal_ranges.csv)"
    check = _tool("--check", str(copy))
    assert check.returncode == 1 and "LOCAL, UNVERIFIED" in check.stdout


def test_the_shipped_manifest_is_current():
    """Changing a shipped norm file means checking it, rewriting the manifest with
    tools/norm_manifest.py and adding the digest it prints to PUBLISHED."""
    p = _tool("--check", str(norms_dir()))
    assert p.returncode == 0, p.stdout + p.stderr


def test_a_version_too_long_to_store_with_its_mark_is_refused(copy):
    """A MOT day stores its norm set's version in 40 characters, mark included."""
    from ffmot.core.errors import NormDataError

    path = copy / "norm-set.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('version = "2026.12-1"', f'version = "{"9" * 23}"'))
    with pytest.raises(NormDataError, match=r"norm-set\.toml: version is longer than 22"):
        load_norm_set(copy)
    path.write_text(text.replace('version = "2026.12-1"', f'version = "{"9" * 22}"'))
    ns = load_norm_set(copy)
    assert len(ns.version) == 40 and ns.version.endswith("LOCAL, UNVERIFIED")
