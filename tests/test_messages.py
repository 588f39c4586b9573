"""Every message for a person goes through translation (ffmot/core/i18n.py), read from the source.

A message raised as an ffmot error (shown on the command line and in the window's dialogs), an
argparse help text, and a sentence the command line prints must be built with `_()` or `_n()`:
an English literal or f-string there is a message no translator can reach, and the pseudo
language would show it plain. The command line's pseudo-language run
(tests/cli/test_cli_language.py) catches what this reading cannot: a message built in a
variable first.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ffmot"
# The ffmot error family's roots, and argparse's error for a value it cannot take.
ROOTS = {"FfmotError", "ArgumentTypeError"}
WORDS = re.compile(r"[A-Za-z]{3,}")
PROGRAM = re.compile(r"\bffmot\b")  # the program's name is not a word to translate
CLI_KEYWORDS = {"help", "description", "epilog"}


@functools.cache
def _package_trees() -> tuple[tuple[Path, ast.Module], ...]:
    """ffmot's source, parsed once for the tests here (the package does not change mid-run)."""
    return tuple(
        (p, ast.parse(p.read_text(encoding="utf-8"), str(p))) for p in PACKAGE.rglob("*.py")
    )


def _trees() -> dict[Path, ast.Module]:
    return dict(_package_trees())


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def error_family(trees: dict[Path, ast.Module]) -> set[str]:
    """The names of every class that derives, in ffmot, from an ffmot error."""
    family = set(ROOTS)
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ClassDef)
                    and node.name not in family
                    and any(_name(b) in family for b in node.bases)
                ):
                    family.add(node.name)
                    grew = True
    return family


def _literal_words(node: ast.expr) -> bool:
    """True for a string literal, f-string or concatenation of them holding English words."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(WORDS.search(PROGRAM.sub("", node.value)))
    if isinstance(node, ast.JoinedStr):
        return any(_literal_words(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _literal_words(node.left) or _literal_words(node.right)
    if isinstance(node, ast.Call) and _name(node.func) == "format":
        return isinstance(node.func, ast.Attribute) and _literal_words(node.func.value)
    return False


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', 0)}"


def untranslated_errors(trees: dict[Path, ast.Module], family: set[str]) -> list[str]:
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and _name(node.func) in family
                and any(_literal_words(a) for a in node.args)
            ):
                found.append(_where(path, node))
    return found


def untranslated_cli_words(trees: dict[Path, ast.Module]) -> list[str]:
    """Help texts, and what the command line writes for a person, in its modules."""
    found = []
    for path, tree in trees.items():
        command_line = path.parent == PACKAGE / "cli" or path == PACKAGE / "app.py"
        if not command_line:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            said = [k.value for k in node.keywords if k.arg in CLI_KEYWORDS]
            if _name(node.func) in ("print", "write"):
                said += node.args[:1]
            if any(_literal_words(a) for a in said):
                found.append(_where(path, node))
    return found


def test_no_error_is_raised_with_english_no_translator_can_reach():
    trees = _trees()
    found = untranslated_errors(trees, error_family(trees))
    assert not found, "errors raised with a bare English message (use _()):\n" + "\n".join(found)


def test_no_help_text_or_sentence_of_the_command_line_skips_translation():
    found = untranslated_cli_words(_trees())
    assert not found, "command-line words not through _():\n" + "\n".join(found)


def test_the_reading_finds_what_it_is_meant_to_find(tmp_path):
    """The check itself can fail: it finds each kind of untranslated message in a sample."""
    sample = """
class Refused(InputError):
    pass

def f(parser, out, path):
    raise Refused(f"cannot read {path}")
    raise InputError("no such test" + path)
    raise ArgumentTypeError("'{}' is not a number".format(path))
    raise Refused(_("cannot read {path}", path=path))
    parser.add_argument("--x", help="the thing")
    parser.add_argument("--y", help=_("the thing"))
    out.write(f"wrote {path}\\n")
    out.write(f"{path}\\t{path}\\n")
    print("ffmot: " + path)
"""
    tree = ast.parse(sample)
    cli = PACKAGE / "cli" / "sample.py"
    trees = {cli: tree}
    family = error_family({**_trees(), **trees})
    assert {"Refused", "InputError", "StoreError", "KeyRefused"} <= family
    assert [w.rsplit(":", 1)[1] for w in untranslated_errors(trees, family)] == ["6", "7", "8"]
    assert [w.rsplit(":", 1)[1] for w in untranslated_cli_words(trees)] == ["10", "12"]
