"""The shape of the code: the domain core stands alone; only ffmot.gui may import Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ffmot"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_neither_qt_nor_sqlalchemy():
    files = list((PACKAGE / "core").rglob("*.py"))
    assert len(files) >= 8
    for f in files:
        bad = imported_modules(f) & {"PySide6", "shiboken6", "sqlalchemy", "alembic"}
        assert not bad, f"{f.relative_to(PACKAGE.parent)} imports {bad}"


def test_only_the_gui_package_imports_qt():
    for f in PACKAGE.rglob("*.py"):
        if "gui" in f.relative_to(PACKAGE).parts:
            continue
        assert "PySide6" not in imported_modules(f), f


def test_scoring_loads_no_qt_or_database_at_run_time():
    code = (
        "import sys, ffmot.cli, ffmot.core.batch, ffmot.core.describe;"
        "from ffmot.core.scoring import score; score('grip', 'male', 70, 30);"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'sqlalchemy')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_help_version_and_scoring_on_the_command_line_load_no_database_code():
    """`ffmot --help`, `--version` and `score` open no database, so they load none of its code
    (SQLAlchemy alone costs about a third of a second at every start)."""
    code = """
import contextlib, io, sys
from ffmot import cli
out = io.StringIO()
cli.main(["score", "--test", "grip", "--sex", "male", "--age", "70", "--value", "30"], out)
cli.main(["norms"], out)
for argv in (["--help"], ["--version"], ["score", "--help"]):
    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
        cli.main(argv)
bad = [m for m in sys.modules if m.split(".")[0] in ("PySide6", "sqlalchemy")]
print(bad)
sys.exit(1 if bad else 0)
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_the_window_shows_before_the_database_layer_or_numpy_loads():
    """The desktop app builds its window with neither SQLAlchemy nor numpy imported: they load
    on a worker while the database opens (what makes the window show quickly)."""
    code = """
import os, sys, tempfile
from pathlib import Path
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from ffmot.gui.app import Controller
from ffmot.gui.settings import Settings
from ffmot.gui.tasks import InlineRunner


class Later(InlineRunner):  # a runner that never gets round to it: the database stays unopened
    def run(self, fn, done=None, failed=None):
        pass


d = Path(tempfile.mkdtemp())
s = Controller(Settings(d / "ffmot.ini"), Later(), db_url=str(d / "x.db")).open()
s.window.show()
bad = [m for m in ("sqlalchemy", "numpy", "alembic") if m in sys.modules]
print(bad, s.window.where.text())
sys.exit(1 if bad else 0)
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Opening the database" in p.stdout


def test_the_sexes_and_consent_purposes_and_their_words_are_written_once():
    """The vocabulary of the records lives in ffmot/core/vocabulary.py: no other module writes
    the list of sexes, of consent purposes, or a table of words for the sexes, as a module's
    definition (a function may still give each purpose its own odds, as the demo does)."""
    import ast

    sexes, purposes = {"female", "male", "not_stated"}, {"keep_results", "share_gp"}
    found = []
    for f in PACKAGE.rglob("*.py"):
        if f.name == "vocabulary.py" or "migrations" in f.parts:
            continue
        tree = ast.parse(f.read_text(encoding="utf-8"))
        defined = [n.value for n in tree.body if isinstance(n, ast.Assign | ast.AnnAssign)]
        for node in (x for value in defined if value for x in ast.walk(value)):
            if isinstance(node, ast.Tuple):
                words = {e.value for e in node.elts if isinstance(e, ast.Constant)}
            elif isinstance(node, ast.Dict):
                words = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            else:
                continue
            if sexes <= words or purposes <= words:
                found.append(f"{f.relative_to(PACKAGE)}:{node.lineno}")
    assert not found, found


def test_no_report_module_loads_database_code():
    """The reports draw from the core's types: importing any of them loads neither SQLAlchemy
    nor ffmot's store (a sheet or a summary can be made from data in memory)."""
    modules = sorted(f.stem for f in (PACKAGE / "report").glob("*.py") if f.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module('ffmot.report.' + m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'"
        " or m.startswith('ffmot.store'))\n"
        "print(bad[:5]); sys.exit(1 if bad else 0)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def _full_imports(path: Path) -> set[str]:
    """Every module a file imports at run time, in full ("ffmot.store.db"), at any depth of the
    file; imports for type checking only (`if TYPE_CHECKING:`) load nothing and are left out."""
    tree = ast.parse(path.read_text(), str(path))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            typing_only.update(id(n) for b in node.body for n in ast.walk(b))
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def screens() -> list[Path]:
    return [*sorted((PACKAGE / "gui" / "views").glob("*.py")), PACKAGE / "gui" / "main_window.py"]


def test_screens_talk_to_the_services_never_to_the_store():
    """The views and the main window reach the database only through the Desk (the services
    bound once to the database, the norms and the practitioner): no store import, no raw
    database handle, no service module called with one."""
    assert len(screens()) >= 7
    for f in screens():
        where = f.relative_to(PACKAGE.parent)
        imports = _full_imports(f)
        store = sorted(m for m in imports if m == "ffmot.store" or m.startswith("ffmot.store."))
        assert not store, f"{where} imports {store}"
        services = sorted(
            m
            for m in imports
            if m.startswith("ffmot.services.")
            and m not in ("ffmot.services.types", "ffmot.services.desk", "ffmot.services.consent")
        )
        assert not services, f"{where} calls services directly: {services} (use ctx.desk)"
        text = f.read_text()
        assert "ctx.db" not in text, f"{where} uses the database handle (use ctx.desk)"


def test_the_screen_rule_finds_a_store_import(tmp_path):
    """The rule above fails on the thing it forbids."""
    bad = tmp_path / "view.py"
    bad.write_text("from ffmot.store.errors import ConflictError\n")
    assert "ffmot.store.errors" in _full_imports(bad)


def test_the_demo_generator_stands_on_the_core_alone():
    """ffmot/demo draws made-up MOT days from the core's battery and norms: no database, no
    screen, no services, no printing (services/demo_load.py puts them in a database); and the
    core never reaches for it."""
    files = sorted((PACKAGE / "demo").glob("*.py"))
    assert len(files) >= 4
    for f in files:
        outside = {
            m
            for m in _full_imports(f)
            if m.startswith("ffmot.") and not m.startswith(("ffmot.core", "ffmot.demo"))
        }
        bad = outside | (imported_modules(f) & {"PySide6", "sqlalchemy", "reportlab"})
        assert not bad, f"{f.relative_to(PACKAGE.parent)} imports {sorted(bad)}"
    for f in (PACKAGE / "core").rglob("*.py"):
        assert not any(m.startswith("ffmot.demo") for m in _full_imports(f)), f


ROOM_LINES = 400


def test_every_room_over_400_lines_says_why_at_its_top():
    """A module that grew past about 400 lines says, in its docstring, why it is one room (and,
    where it should be split, how): a newcomer is not left to guess."""
    big = []
    for f in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in f.parts:
            continue
        text = f.read_text()
        if text.count("\n") <= ROOM_LINES:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if "Why one room:" not in doc:
            big.append(f"{f.relative_to(PACKAGE.parent)} ({text.count(chr(10))} lines)")
    assert not big, "over 400 lines with no reason at the top: " + ", ".join(big)
