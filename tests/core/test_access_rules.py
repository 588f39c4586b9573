"""The access rules (resources/access.toml): roles include the ones below them, every action
has words, and a refusal says who may. Broken rule files are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffmot.core import access
from ffmot.core.errors import FfmotError, InputError


def test_each_role_may_do_what_the_roles_it_includes_may():
    r = access.rules()
    assert r.roles == ("station", "coordinator", "data_lead")
    assert r.may["station"] < r.may["coordinator"] < r.may["data_lead"]
    assert access.may("station", "enter_results")
    assert not access.may("station", "print_sheets") and access.may("coordinator", "print_sheets")
    assert not access.may("coordinator", "export_identifiable")
    assert access.may("data_lead", "erase") and not access.may("coordinator", "erase")
    assert not access.may("", "view_day") and not access.may("visitor", "view_day")


def test_a_refusal_names_the_role_and_who_may():
    with pytest.raises(access.NotAllowed) as e:
        access.require("Sam Tester", "station", "erase")
    assert str(e.value) == (
        "Sam Tester is signed in as a station practitioner: erasing a person's records needs "
        "a data lead. Ask one of them to sign in"
    )
    with pytest.raises(access.NotAllowed, match="needs a coordinator or data lead"):
        access.require("Sam Tester", "station", "print_sheets")


@pytest.mark.parametrize(
    "secret, words",
    [
        ("12345", "at least 6"),
        ("111111", "one digit repeated"),
        ("123456", "digits in a row"),
        ("987654", "digits in a row"),
        (" 482913", "space"),
        ("4829\x0713", "controls"),
    ],
)
def test_weak_pins_are_refused_in_words(secret, words):
    with pytest.raises(InputError, match=words):
        access.check_secret(secret)


def test_a_sound_pin_or_password_is_taken():
    assert access.check_secret("482913") == "482913"
    assert access.check_secret("correct horse battery") == "correct horse battery"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "access.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_rule_files_are_refused_naming_the_file(tmp_path):
    shipped = (Path(access.__file__).parents[2] / "resources" / "access.toml").read_text()
    cases = {
        "not toml": "this is [ not toml",
        "a role including itself": shipped.replace(
            'includes = ["station"]', 'includes = ["coordinator"]'
        ),
        "an action with no words": shipped.replace('read_audit = "reading the audit log"', ""),
        "no policy": shipped.replace("[policy]", "[nopolicy]"),
        "an unknown role included": shipped.replace(
            'includes = ["coordinator"]', 'includes = ["boss"]'
        ),
    }
    for what, text in cases.items():
        path = _write(tmp_path, text)
        with pytest.raises(FfmotError) as e:
            access._load(path)
        assert str(path) in str(e.value), what
