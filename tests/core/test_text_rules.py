"""What text may be stored: names from every UK community in, hidden and unprintable
characters out, with a message that names the character."""

from __future__ import annotations

import pytest

from ffmot.core import text
from ffmot.core.errors import InputError

WELCOME = ["Siân Ó Briain", "Ŵyn ap Gruffydd", "Mòrag NicDhòmhnaill", "'t Hooft", "Zoë Łukasz",
           "O'Neill-Smith", "Ng", "Nguyễn Thị", "می\u200cخواهم"]  # fmt: skip
REFUSED = {
    "Ada\x00": "U+0000",
    "\x1b[31mAda": "U+001B",
    "Ada\u202eefiL": "direction mark",
    "A\u2066da": "direction mark",
    "Ada\ue000": "U+E000",
    "Ada\x08": "U+0008",
    "Ada\u200b": "U+200B",
}


@pytest.mark.parametrize("name", WELCOME)
def test_names_people_really_have_are_kept_as_typed(name):
    assert text.line(name, 100, "given name") == name


@pytest.mark.parametrize(("name", "says"), REFUSED.items())
def test_hidden_and_unprintable_characters_are_named_and_refused(name, says):
    with pytest.raises(InputError, match="given name holds") as e:
        text.line(name, 100, "given name")
    assert says in str(e.value) and "type it again" in str(e.value)


def test_length_and_whitespace():
    assert text.line("  Ada \t\n Lovelace ", 100, "name") == "Ada Lovelace"
    with pytest.raises(InputError, match="longer than 100 characters \\(10000\\)"):
        text.line("A" * 10_000, 100, "given name")
    kept = " Knee sore.\r\n\tTook it slowly. "
    assert text.block(kept, 4000, "notes") == kept
    with pytest.raises(InputError, match="notes holds"):
        text.block("ok\x1b[2J", 4000, "notes")


def test_a_typed_date_is_read_one_way_at_check_in_and_in_search():
    """The forms a practitioner types a date in are one rule in the core: check-in's date of
    birth and the search read the same dates, and refuse the same."""
    import datetime as dt

    from ffmot.core.ages import typed_date
    from ffmot.gui.views.checkin import parse_dob

    day = dt.date(1950, 3, 14)
    for typed in ("14/03/1950", "1950-03-14", "14.03.1950", "14-03-1950", " 14/3/1950 "):
        assert typed_date(typed) == day == parse_dob(typed), typed
    for not_a_date in ("31/02/1950", "1950/03/14", "March 1950", "", "14 03 1950"):
        assert typed_date(not_a_date) is None, not_a_date


@pytest.mark.parametrize("multiline", [False, True])
def test_every_ascii_character_is_judged_by_its_unicode_category(multiline):
    # ASCII text takes a quicker path (one search for controls): it must refuse exactly the
    # characters the per-character rule refuses, and name the first of them.
    import unicodedata

    for code in range(128):
        ch = chr(code)
        allowed = unicodedata.category(ch) != "Cc" or (multiline and ch in "\n\r\t")
        for sample in (ch, f"Ada {ch}", f"{ch}\x01"):
            said = text.bad_character(sample, multiline)
            first = next(
                (c for c in sample if unicodedata.category(c) == "Cc"
                 and not (multiline and c in "\n\r\t")),
                None,
            )  # fmt: skip
            if first is None:
                assert said is None, (code, sample)
            else:
                assert said is not None and f"U+{ord(first):04X}" in said, (code, sample, said)
        assert (text.bad_character(ch, multiline) is None) == allowed
