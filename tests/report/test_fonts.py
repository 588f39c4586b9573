"""The font ffmot ships (resources/fonts, built by tools/build-fonts) prints every name a
person in the UK may have: Welsh, Irish and Gaelic names, and the names of people from Poland,
Romania, Turkey, the Czech Republic, Hungary, Lithuania, Latvia, Portugal, Spain, France,
Germany and Scandinavia. A letter the font lacks prints as an empty box, or nothing, while the
PDF's text layer still says the right letter: so the tests look at the glyphs, not only at the
text."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pdfplumber
import pypdf
import pytest
from reportlab.pdfbase.ttfonts import TTFontFile

from ffmot.core import codes, screening
from ffmot.core.errors import FfmotError
from ffmot.report import fonts
from ffmot.report.card import card_pdf
from ffmot.report.sheet import render_sheet
from ffmot.services import records as R
from ffmot.services.overview import Overview, load_overview
from ffmot.services.types import Actor
from ffmot.store.db import connect

LATIN_1_LETTERS = [chr(c) for c in range(0xC0, 0x100) if chr(c).isalpha()]
# Latin Extended-A but ĸ (kra), Ŋ ŋ (eng) and ſ (long s): no accent on a letter the font has,
# so tools/build-fonts cannot compose them, and no UK name is known to use them.
NOT_IN_THE_FONT = "ĸŊŋſ"
LATIN_EXTENDED_A = [chr(c) for c in range(0x0100, 0x0180) if chr(c) not in NOT_IN_THE_FONT]
PUNCTUATION = "\u2018\u2019\u2010\u2013\u2014"  # ‘ ’ ‐ – —
NAME_LETTERS = {
    "Welsh": "âêîôûŵŷÂÊÎÔÛŴŶäëïöüÄËÏÖÜẁẃẅẀẂẄỳýÿỲÝŸàèìòùáéíóú",
    "Irish": "áéíóúÁÉÍÓÚ",
    "Scottish Gaelic": "àèìòùÀÈÌÒÙ",
    "Polish": "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ",
    "Romanian": "ăâîșțĂÂÎȘȚşţŞŢ",
    "Turkish": "çğıİöşüÇĞÖŞÜ",
    "Czech": "áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ",
    "Hungarian": "áéíóöőúüűÁÉÍÓÖŐÚÜŰ",
    "Lithuanian": "ąčęėįšųūžĄČĘĖĮŠŲŪŽ",
    "Latvian": "āčēģīķļņŗšūžĀČĒĢĪĶĻŅŖŠŪŽ",
    "Portuguese": "áâãàçéêíóôõúÁÂÃÀÇÉÊÍÓÔÕÚ",
    "Spanish": "áéíñóúüÁÉÍÑÓÚÜ",
    "French": "àâæçéèêëîïôœùûüÿÀÂÆÇÉÈÊËÎÏÔŒÙÛÜŸ",
    "German": "äöüßÄÖÜ",
    "Scandinavian": "åæøäöÅÆØÄÖðþÐÞ",
    "Dutch": "ĳĲ",
}
EVERY_CHARACTER = sorted(
    set(LATIN_1_LETTERS + LATIN_EXTENDED_A)
    | set(PUNCTUATION)
    | set("ȘșȚț")
    | set("".join(NAME_LETTERS.values()))
)

PEOPLE = [  # (given name, family name)
    ("Gwenllïan", "Ŵyn ap Dafydd"),
    ("Siôn", "Ŷr"),
    ("Ruaidhrí", "Ó Súilleabháin"),
    ("Màiri", "NicDhòmhnaill"),
    ("Łucja", "Żółkiewska"),
    ("Ștefan", "Țurcanu"),
    ("Çağla", "Şahin"),
    ("Zoë", "Brontë-Ørsted"),
    ("Ẅyn", "Ẁatcyn-Ỳsbyty"),
    ("İlkay", "Ĳsselmeer-Ŗiga"),
]
ACTOR = Actor("Font Tester", "Station 1")
TODAY = dt.date(2026, 6, 1)
CODE = codes.new_code(random.Random(11))


def face_files() -> list[Path]:
    return [fonts.font_dir() / name for name in fonts.FILES.values()]


# --- (a) the files themselves ------------------------------------------------------------------


@pytest.mark.parametrize("path", face_files(), ids=lambda p: p.stem)
def test_every_face_has_every_letter_of_every_name(path: Path) -> None:
    cmap = TTFontFile(str(path)).charToGlyph
    missing = [f"{c} U+{ord(c):04X}" for c in EVERY_CHARACTER if not cmap.get(ord(c))]
    assert not missing, f"{path.name} lacks {', '.join(missing)}"
    for language, letters in NAME_LETTERS.items():
        assert all(cmap.get(ord(c)) for c in letters), language


def test_the_faces_are_renamed_and_carry_the_licence() -> None:
    """The OFL asks a modified font to say what changed, keep the copyright and licence, and
    (since it is not the original) the files are named for ffmot."""
    folder = fonts.font_dir()
    assert {p.name for p in folder.glob("*.ttf")} == set(fonts.FILES.values())
    licence = (folder / "OFL.txt").read_text(encoding="utf-8")
    assert "Copyright 2020 Braille Institute of America" in licence
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    log = (folder / "FONTLOG.txt").read_text(encoding="utf-8")
    assert "tools/build-fonts" in log and "Atkinson Hyperlegible 1.006" in log
    for path in face_files():
        face = TTFontFile(str(path))
        assert face.name.decode().startswith("FFMOTHyperlegible"), face.name
        assert face.familyName.decode() == fonts.FAMILY, face.familyName


def test_a_missing_or_broken_font_file_says_which_and_to_reinstall(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = tmp_path / "resources"
    shutil.copytree(fonts.font_dir(), resources / "fonts")
    monkeypatch.setenv("FFMOT_RESOURCES_DIR", str(resources))
    assert fonts.font_files()[0].parent == resources / "fonts"
    bold = resources / "fonts" / fonts.FILES[fonts.BOLD]
    bold.unlink()
    with pytest.raises(FfmotError, match=r"FFMOTHyperlegible-Bold\.ttf.*reinstall ffmot"):
        fonts.font_files()
    bold.write_bytes(b"<html>not a font</html>")
    with pytest.raises(FfmotError, match=r"FFMOTHyperlegible-Bold\.ttf.*reinstall ffmot"):
        fonts.font_files()


# --- (b) names on the sheet and the card, read back ----------------------------------------------


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> list[Overview]:
    """Each person registered, checked in, screened and tested once, through the services
    the app uses; their visit's overview is what the sheet is made from."""
    db = connect(str(tmp_path_factory.mktemp("fonts") / "names.db"))
    event = R.create_event(db, ACTOR, "Summer MOT day", TODAY, "Neuadd y Dref, Aberystwyth")
    out = []
    for given, family in PEOPLE:
        person = R.register_participant(
            db, ACTOR, given, family, dt.date(1950, 3, 1), "female", consents={"keep_results": True}
        )
        visit = R.check_in(db, ACTOR, person.id, event.id)
        R.record_screening(db, ACTOR, visit.id, screening.answers_with())
        R.save_result(db, ACTOR, visit.id, "chair_stand", [(13.0, "trial 1")], "", modifications=())
        out.append(load_overview(db, visit.id))
    db.close()
    return out


def _to_unicode(font: Any) -> dict[int, str]:
    """The font's ToUnicode map: character code in the PDF -> the text it stands for."""
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    out: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for code, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(code, 16)] = bytes.fromhex(uni).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, start in re.findall(
            r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            first = ord(bytes.fromhex(start).decode("utf-16-be"))
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(first + i)
    return out


def _drawn_glyphs(ttf: bytes) -> dict[int, bool]:
    """For an embedded subset TrueType font: character code -> whether it draws a real glyph
    (not glyph 0, the .notdef box, and not an empty outline)."""
    (num,) = struct.unpack(">H", ttf[4:6])
    tables = {}
    for i in range(num):
        tag, _, offset, length = struct.unpack(">4sIII", ttf[12 + 16 * i : 28 + 16 * i])
        tables[tag.decode()] = ttf[offset : offset + length]
    (long_loca,) = struct.unpack(">h", tables["head"][50:52])
    loca = tables["loca"]
    n = len(loca) // (4 if long_loca else 2)
    offsets = struct.unpack(f">{n}{'I' if long_loca else 'H'}", loca)
    cmap = tables["cmap"]
    (count,) = struct.unpack(">H", cmap[2:4])
    codes: dict[int, int] = {}
    for i in range(count):
        _, _, off = struct.unpack(">HHI", cmap[4 + 8 * i : 12 + 8 * i])
        (fmt,) = struct.unpack(">H", cmap[off : off + 2])
        if fmt == 6:
            first, entries = struct.unpack(">HH", cmap[off + 6 : off + 10])
            gids = struct.unpack(f">{entries}H", cmap[off + 10 : off + 10 + 2 * entries])
            codes.update({first + k: g for k, g in enumerate(gids)})
        elif fmt == 0:
            codes.update(enumerate(cmap[off + 6 : off + 262]))
    assert codes, "no cmap the test can read in the embedded font"
    return {c: g != 0 and offsets[g + 1] > offsets[g] for c, g in codes.items()}


def drawn_and_missing(pdf: bytes) -> tuple[set[str], set[str]]:
    """Every character the PDF's text stands for, split into those drawn with a real glyph of
    an embedded FFMOT Hyperlegible face and those that are not."""
    drawn: set[str] = set()
    missing: set[str] = set()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font = ref.get_object()
            descriptor = font["/FontDescriptor"].get_object()
            real = _drawn_glyphs(descriptor["/FontFile2"].get_object().get_data())
            for code, text in _to_unicode(font).items():
                (drawn if real.get(code) else missing).update(text)
    return drawn, missing


def _check_names(pdf: bytes, names: list[str]) -> None:
    drawn, missing = drawn_and_missing(pdf)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        text = "\n".join(p.extract_text() or "" for p in doc.pages)
        fontnames = {c["fontname"] for p in doc.pages for c in p.chars}
    for name in names:
        assert name in text, f"{name!r} is not in the text: {text[:300]!r}"
        letters = set(name) - {" "}
        assert not letters & missing, f"{name}: .notdef (a box) for {sorted(letters & missing)}"
        assert letters <= drawn, f"{name}: no glyph for {sorted(letters - drawn)}"
    assert all("FFMOTHyperlegible" in f for f in fontnames), fontnames


def test_every_name_comes_back_from_its_sheet_drawn_in_the_font(people: list[Overview]) -> None:
    for o in people:
        given, family = next(p for p in PEOPLE if o.participant.name.startswith(p[0]))
        assert o.participant.name == f"{given} {family}"
        _check_names(render_sheet(o).pdf, [o.participant.name])


def test_every_name_comes_back_from_its_card_drawn_in_the_font(people: list[Overview]) -> None:
    for o in people:
        _check_names(card_pdf(CODE, o.participant.name, o.event.name), [o.participant.name])


def test_pdffonts_shows_the_font_embedded(people: list[Overview], tmp_path: Path) -> None:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(render_sheet(people[0]).pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = out.stdout.splitlines()[2:]
    assert rows and all("FFMOTHyperlegible" in r and r.split()[-5] == "yes" for r in rows), out
