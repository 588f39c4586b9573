"""Every word on a participant's page goes through translation, dates come from the page's
language (never the computer's locale), and the layout holds text a third longer."""

from __future__ import annotations

import datetime as dt
import io
import locale
import os
import random
import subprocess

import pdfplumber
import pytest

from ffmot.core import codes, i18n
from ffmot.core.errors import InputError
from ffmot.report.card import card_pdf
from tests.report.languages import outside_brackets, untranslated

CODE = codes.new_code(random.Random(16))
SHOWN = codes.display(CODE)


def page_text(pdf: bytes) -> list[str]:
    """Each page's text as a reader meets it: the upright text (a slanted watermark is read on
    its own, by `watermark`)."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [page.filter(lambda o: not _slanted(o)).extract_text() or "" for page in doc.pages]


def inside_the_page(pdf: bytes, margin: float = 20.0) -> bool:
    """No upright letter runs off the paper or into the printer's margin."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return all(
            margin <= c["x0"] and c["x1"] <= p.width - margin
            for p in doc.pages
            for c in p.chars
            if not _slanted(c)
        )


def watermark(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return ["".join(c["text"] for c in p.chars if _slanted(c)) for p in doc.pages]


def _slanted(obj: dict) -> bool:
    return obj.get("object_type") == "char" and abs(obj["matrix"][1]) > 1e-3


def test_the_card_in_the_pseudo_language_has_no_untranslated_word_and_nothing_cut_off():
    pdf = card_pdf(CODE, "Ada Sampleton", "Tarnside MOT day", training=True, language="qps")
    (text,) = page_text(pdf)
    assert untranslated(text, ["Ada Sampleton", "Tarnside MOT day", SHOWN]) == []
    assert outside_brackets(" ".join(text.split()))[1] == 0, text
    assert "\x00" not in text  # every accented letter is in the font
    assert inside_the_page(pdf)
    assert "ŢŔÅÎÑÎÑĜ" in text  # the words really were translated
    (mark,) = watermark(pdf)
    assert mark.startswith("[") and mark.endswith("]") and "ŢŔÅÎÑÎÑĜ" in mark


def test_the_card_in_english_is_unchanged_by_the_machinery():
    (text,) = page_text(card_pdf(CODE, "Ada Sampleton", "Tarnside MOT day"))
    assert "Keep this card safe and bring it with you next time." in text
    assert "[" not in text


@pytest.fixture(scope="module")
def welsh_locale(tmp_path_factory):
    """A Welsh-speaking computer: the locale compiled into a folder of the test's own (glibc
    reads LOCPATH at each setlocale), as a desktop set to Welsh has it."""
    folder = tmp_path_factory.mktemp("locales")
    made = subprocess.run(
        ["localedef", "-i", "cy_GB", "-f", "UTF-8", str(folder / "cy_GB.UTF-8")],
        capture_output=True,
        text=True,
    )
    assert (folder / "cy_GB.UTF-8").is_dir(), made.stderr
    before = os.environ.get("LOCPATH")
    os.environ["LOCPATH"] = str(folder)
    yield "cy_GB.UTF-8"
    if before is None:
        del os.environ["LOCPATH"]
    else:
        os.environ["LOCPATH"] = before


def test_month_names_come_from_the_sheets_language_not_the_computers_locale(welsh_locale):
    day = dt.date(2026, 9, 3)
    previous = locale.setlocale(locale.LC_TIME)
    locale.setlocale(locale.LC_TIME, welsh_locale)
    try:
        assert day.strftime("%B") != "September"  # the machine really speaks Welsh now
        assert i18n.long_date(day) == "3 September 2026"
        assert i18n.short_date(day) == "3 September"
    finally:
        locale.setlocale(locale.LC_TIME, previous)


def test_the_pseudo_language_keeps_fields_and_markup_and_is_a_third_longer():
    said = i18n.pseudo("Thank you for coming today, {first}. <b>Well done</b>")
    assert "{first}" in said and "<b>" in said and "</b>" in said
    plain = "Keep this card safe and bring it with you next time."
    assert len(i18n.pseudo(plain)) >= 1.3 * len(plain)
    assert not any(c in "aeiou" for c in said.replace("{first}", ""))
    with i18n.speaking("qps"):
        assert i18n._("Hello {name}", name="Siân") == "[Ĥéĺĺö Siân ~~]"
    assert i18n._("Hello {name}", name="Siân") == "Hello Siân"


def test_a_language_with_no_catalogue_is_refused_with_the_languages_there_are():
    with pytest.raises(InputError, match=r"there is no fr translation .*en"):
        i18n.catalogue("fr")
    with pytest.raises(InputError, match="not a language code"):
        i18n.catalogue("../../etc/passwd")


def test_a_broken_catalogue_line_is_named_by_file_and_line(tmp_path):
    po = tmp_path / "cy.po"
    po.write_text('msgid "Your code"\nmsgstr "Eich cod"\n\nmsgid "Cut\nmsgstr ""\n', "utf-8")
    with pytest.raises(InputError, match=r"cy.po, line 4: expected text in double quotes"):
        i18n.read_po(po)
    po.write_text('msgctxt "month"\nmsgid "May"\nmsgstr "Mai"\n', "utf-8")
    assert i18n.read_po(po) == {("month", "May"): "Mai"}


WELSH_PLURALS = (
    "nplurals=6; plural=(n==0) ? 0 : (n==1) ? 1 : (n==2) ? 2 : (n==3) ? 3 : (n==6) ? 4 : 5;"
)


def _welsh_po(folder, forms):
    """A Welsh catalogue with one plural message, its forms as given."""
    body = [
        'msgid ""',
        f'msgstr "Language-Name: Cymraeg\\nPlural-Forms: {WELSH_PLURALS}\\n"',
        "",
        'msgid "{count} sheet"',
        'msgid_plural "{count} sheets"',
        *(f'msgstr[{i}] "{form}"' for i, form in enumerate(forms)),
        "",
    ]
    po = folder / "cy.po"
    po.write_text("\n".join(body), "utf-8")
    return po


def test_a_number_takes_the_form_its_language_gives_it(tmp_path):
    """English has one and other; Welsh has six forms, chosen by the catalogue's own rule."""
    assert i18n._n("{count} sheet", "{count} sheets", 1) == "1 sheet"
    assert i18n._n("{count} sheet", "{count} sheets", 0) == "0 sheets"
    assert i18n._n("{count} sheet", "{count} sheets", 7, what="x") == "7 sheets"
    forms = ["{count} taflen", "{count} daflen", "{count} dudalen", "{count} thaflen",
             "{count} thaflen 6", "{count} o daflenni"]  # fmt: skip
    po = _welsh_po(tmp_path, forms)
    plurals: dict = {}
    messages = i18n.read_po(po, plurals)
    assert plurals == {("", "{count} sheet"): "{count} sheets"}
    cat = i18n.Catalogue("cy", "Cymraeg", messages, WELSH_PLURALS)
    said = {n: cat.lookup_plural("{count} sheet", "{count} sheets", n) for n in (0, 1, 2, 3, 6, 9)}
    assert said == dict(zip((0, 1, 2, 3, 6, 9), forms, strict=True))
    with i18n.speaking("qps"):
        assert i18n._n("{count} sheet", "{count} sheets", 2) == "[2 šĥééţš ~~]"


def test_a_plural_message_missing_a_form_is_missing_and_english_is_shown(tmp_path):
    po = _welsh_po(tmp_path, ["{count} taflen", "{count} daflen"])  # two of Welsh's six
    cat = i18n.Catalogue("cy", "Cymraeg", i18n.read_po(po), WELSH_PLURALS)
    assert cat.lookup_plural("{count} sheet", "{count} sheets", 2) == "{count} sheets"
    assert cat.lookup_plural("{count} sheet", "{count} sheets", 1) == "{count} sheet"


def test_a_broken_plural_rule_is_refused_by_name_and_never_run(tmp_path):
    with pytest.raises(InputError, match="not a Plural-Forms line"):
        i18n.plural_rule("two forms please")
    with pytest.raises(InputError, match="cannot be read"):
        i18n.plural_rule("nplurals=2; plural=__import__('os').system('true');")


@pytest.fixture
def xx_offered(tmp_path, monkeypatch):
    """A complete catalogue 'xx' (every message in its pseudo form) offered here."""
    from tests.report.languages import complete_catalogue

    monkeypatch.setenv("FFMOT_RESOURCES_DIR", str(complete_catalogue(tmp_path)))
    i18n._load.cache_clear()
    yield "xx"
    i18n._load.cache_clear()


def test_a_translation_with_a_mistyped_field_is_shown_in_english_and_not_offered(xx_offered):
    """A translator's slip ({nmae} for {name}) never stops a message being said, and the
    language is not offered until it is put right."""
    po = i18n.locale_dir() / "xx.po"
    text = po.read_text("utf-8")
    key = 'msgid "there is no {code} translation (languages here: {known})"'
    start = text.index(key) + len(key)
    end = text.index("\n\n", start)
    po.write_text(text[:start] + '\nmsgstr "{cdoe} ?"' + text[end:], "utf-8")
    i18n._load.cache_clear()
    cat = i18n.catalogue("xx")
    assert i18n.missing(cat) == ["there is no {code} translation (languages here: {known})"]
    with i18n.speaking("xx"), pytest.raises(InputError, match="there is no zz translation"):
        i18n.catalogue("zz")


def test_a_catalogue_is_complete_only_with_every_plural_form(xx_offered):
    """A translator's catalogue with every message is offered; one plural form gone, it is not,
    and the message is named as missing."""
    assert "xx" in i18n.available() and not i18n.missing(i18n.catalogue("xx"))
    po = i18n.locale_dir() / "xx.po"
    text = po.read_text("utf-8")
    start = text.index('msgid "expected %s argument"')
    cut = text.index("msgstr[1]", start)
    po.write_text(text[:cut] + text[text.index("\n", cut) + 1 :], "utf-8")
    i18n._load.cache_clear()
    assert i18n.missing(i18n.catalogue("xx")) == ["expected %s argument"]
    assert "xx" not in i18n.available()


def test_each_participants_sheet_is_made_in_their_own_language(tmp_path, xx_offered):
    from ffmot.core import screening
    from ffmot.report.sheet import render_sheet
    from ffmot.services import records as R
    from ffmot.services.overview import load_for_sheet, load_overview
    from ffmot.services.types import Actor
    from ffmot.store.db import connect
    from tests.helpers import screened_visit
    from tests.report.conftest import page_texts

    actor = Actor("Sam Station", "Station 1")
    db = connect(str(tmp_path / "ffmot.db"))
    try:
        e = R.create_event(db, actor, "MOT day", dt.date(2026, 9, 3), "Fellside Hall")
        _eng, v_eng = screened_visit(
            db, actor, e.id, "Ada", "Sampleton", dt.date(1950, 1, 2), "female"
        )
        cy = R.register_participant(
            db,
            actor,
            "Siân",
            "Ŵyn",
            dt.date(1950, 1, 2),
            "female",
            consents={"keep_results": True},
            language="xx",
        )
        assert R.get_participant(db, cy.id).language == "xx"
        v_cy = R.check_in(db, actor, cy.id, e.id)
        R.record_screening(db, actor, v_cy.id, screening.answers_with())

        english = "\n".join(page_texts(render_sheet(load_for_sheet(db, v_eng.id)).pdf))
        theirs = "\n".join(page_texts(render_sheet(load_for_sheet(db, v_cy.id)).pdf))
        assert "Your Functional Fitness MOT" in english and "3 September 2026" in english
        assert "Ýöûŕ Fûñçţîöñåĺ Fîţñéšš MÖŢ" in theirs and "Siân Ŵyn, 3 [Šépţémbéŕ" in theirs
        # the practitioner's screen stays in the practitioner's language
        assert load_overview(db, v_cy.id, language="en").language == "en"

        # changed later, and audited; a language with no complete catalogue is refused
        p = R.get_participant(db, cy.id)
        R.update_participant(db, actor, p.id, p.version, language="en")
        assert R.get_participant(db, cy.id).language == "en"
        with pytest.raises(InputError, match=r"cannot be made in 'fr'.*en \(English\)"):
            R.register_participant(
                db, actor, "Zoë", "Brontë", dt.date(1950, 1, 2), "female", language="fr"
            )
        with pytest.raises(InputError, match="cannot be made in 'qps'"):
            R.update_participant(db, actor, p.id, p.version + 1, language="qps")
    finally:
        db.close()


def test_the_screens_language_holds_in_every_thread_and_a_sheets_own_wins():
    import threading

    seen: list[str] = []
    i18n.use_default("qps")
    try:
        assert i18n._("Your code") == "[Ýöûŕ çöđé ~~~]"
        worker = threading.Thread(target=lambda: seen.append(i18n._("Your code")))
        worker.start()
        worker.join()
        assert seen == ["[Ýöûŕ çöđé ~~~]"]  # a worker thread of the window speaks it too
        with i18n.speaking("en"):  # a sheet made in English meanwhile
            assert i18n._("Your code") == "Your code"
    finally:
        i18n.use_default(None)
    assert i18n._("Your code") == "Your code"
