"""Help, as a practitioner meets it: F1 opens a guide they can search, with pictures of the
screens they are looking at; the keyboard shortcuts are read from the window itself; About says
what ffmot is built from and under which licences; and every menu item is in the guide."""

from __future__ import annotations

import re
from importlib import metadata

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QKeySequence, QTextDocument
from PySide6.QtWidgets import QDialog, QLabel, QMenu, QTableWidget

from ffmot.core.paths import resources_dir
from ffmot.gui.help import EVERYWHERE, FONT_LICENCE, LIBRARIES, GuideDialog, slug
from ffmot.gui.main_window import MainWindow

GUIDE = resources_dir() / "help" / "guide.md"
NATIVE = QKeySequence.SequenceFormat.NativeText


def open_guide(window, qtbot) -> GuideDialog:  # type: ignore[no-untyped-def]
    qtbot.keyClick(window, Qt.Key.Key_F1)
    guide = window.guide_dialog
    qtbot.waitUntil(guide.isVisible)
    qtbot.wait(100)  # painted, with the event loop running
    return guide  # type: ignore[no-any-return]


def test_f1_opens_the_guide_where_enter_finds_each_match_in_turn_and_esc_closes_it(day, qtbot):
    guide = open_guide(day.window, qtbot)
    assert guide.find_box.hasFocus()  # typing searches at once
    qtbot.keyClicks(guide.find_box, "stick")
    qtbot.keyClick(guide.find_box, Qt.Key.Key_Return)
    first = guide.text.textCursor()
    assert first.selectedText().lower() == "stick"
    # the whole guide is laid out (a match below a picture was once scrolled to but not shown)
    assert guide.text.document().lastBlock().layout().lineCount() > 0
    shown = guide.text.cursorRect()
    assert guide.text.viewport().rect().contains(shown) and shown.height() > 12
    assert guide.isVisible()  # Enter found; it did not close the guide
    qtbot.keyClick(guide.find_box, Qt.Key.Key_Return)
    second = guide.text.textCursor()
    assert second.selectedText().lower() == "stick"
    assert second.selectionStart() > first.selectionStart()
    plain_text = guide.text.toPlainText().lower()
    assert len(guide.text.extraSelections()) == plain_text.count("stick")  # all highlighted
    assert guide.status.text().startswith("2 of ")
    qtbot.keyClicks(guide.find_box, "zzz")
    qtbot.keyClick(guide.find_box, Qt.Key.Key_Return)
    assert guide.status.text() == "Not found"
    qtbot.keyClick(guide.find_box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not guide.isVisible())


def test_the_guides_pictures_are_the_apps_own_screens_and_load(day, qtbot):
    text = GUIDE.read_text(encoding="utf-8")
    names = re.findall(r"!\[[^\]]+\]\((images/[^)]+\.png)\)", text)
    assert 3 <= len(names) <= 6
    for name in names:
        assert (GUIDE.parent / name).stat().st_size < 150_000, name
    guide = open_guide(day.window, qtbot)
    doc = guide.text.document()
    for name in names:
        image = doc.resource(QTextDocument.ResourceType.ImageResource, QUrl(name))
        assert image is not None and not image.isNull(), name
    room = guide.text.viewport().width()
    block = doc.begin()
    widths = []
    while block.isValid():  # every picture fits the guide's width: no sideways scrolling
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat():
                widths.append(fmt.toImageFormat().width())
                assert block.layout().boundingRect().height() > 100  # shown, in proportion
            it += 1
        block = block.next()
    assert len(widths) == len(names) and all(0 < w < room for w in widths)


def test_the_contents_list_links_to_every_section(day, qtbot):
    text = GUIDE.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    links = re.findall(r"^- \[[^\]]+\]\(#([^)]+)\)", text, re.M)
    assert links == [slug(h) for h in headings]
    guide = open_guide(day.window, qtbot)
    bar = guide.text.verticalScrollBar()
    assert bar.value() == 0
    guide.text.scrollToAnchor(links[-1])
    assert bar.value() > 0


def menu_items(window: MainWindow) -> list[QAction]:
    items = []
    for top in window.menuBar().actions():
        menu = top.menu()
        assert isinstance(menu, QMenu)
        items.extend(a for a in menu.actions() if not a.isSeparator())
    return items


def every_item_window(day) -> MainWindow:  # type: ignore[no-untyped-def]
    """The window with every optional menu item (practise signing in shows only in training)."""
    keys = (
        *("settings", "large_print", "training", "reset_training", "sign_in", "practitioners"),
        "practise_sign_in",
    )
    w = MainWindow(day.ctx, day.window.drafts, dict.fromkeys(keys, print))
    w.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return w


def test_the_guide_names_every_menu_item_and_each_has_an_alt_letter(day, qtbot):
    guide = GUIDE.read_text(encoding="utf-8")
    w = every_item_window(day)
    try:
        items = menu_items(w) + menu_items(day.window)
        assert len(items) > 20
        missing = []
        for action in items:
            text = action.text()
            assert re.search(r"&[^&\s]", text), f"no Alt+letter: {text}"
            words = text.replace("&", "").rstrip("…")
            if words not in guide:
                missing.append(words)
        assert not missing, f"the guide does not say where these are: {missing}"
    finally:
        w.close()


def test_keyboard_shortcuts_are_read_from_the_window_and_its_screens(day, qtbot):
    w = day.window
    qtbot.keyClick(w, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    dialog = w.shortcuts_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.wait(100)
    table = dialog.findChild(QTableWidget, "shortcutsTable")
    assert [table.horizontalHeaderItem(i).text() for i in range(3)] == [
        "Screen",
        "Keys",
        "What it does",
    ]
    rows = []
    screen = ""
    for r in range(table.rowCount()):
        cell = table.item(r, 0)
        screen = cell.data(Qt.ItemDataRole.AccessibleTextRole) or screen  # read out on each row
        rows.append((screen, table.item(r, 1).text(), table.item(r, 2).text()))
    said = {(s, k): d for s, k, d in rows}
    for n, name in enumerate(("Events", "Check-in", "Station", "Results", "Board"), 1):
        assert name in said[(EVERYWHERE, f"Ctrl+{n}")]
    assert "Score cards" in said[(EVERYWHERE, "Ctrl+6")]
    assert "guide" in said[(EVERYWHERE, "F1")]
    assert "Not done" in said[("3 Station", "F9")]
    assert "Print" in said[("4 Results", "Ctrl+P")]
    assert "Check in" in said[("2 Check-in", "Alt+I")]
    assert all(d and d != "(not described)" for d in said.values())
    # The window's rows are exactly its actions that have keys, wherever they are
    actions = {
        a.text().replace("&", "").rstrip("…")
        for a in w.findChildren(QAction)
        if any(not k.isEmpty() for k in a.shortcuts())
    }
    everywhere = [d for s, _k, d in rows if s == EVERYWHERE]
    assert {re.sub(r" \(\w+ menu\)$", "", d) for d in everywhere} == actions
    assert len(everywhere) == len(actions)
    dialog.reject()


def test_about_says_the_norm_set_and_database_kind_and_lists_the_licences(day, qtbot):
    w = day.window
    w.findChild(QAction, "action_about").trigger()
    about = w.findChild(QDialog, "aboutBox")
    qtbot.waitUntil(about.isVisible)
    qtbot.wait(100)
    said = about.findChild(QLabel, "aboutText").text()
    assert f"Norm set: {day.ctx.norms.version} (verified)" in said
    assert "encrypted" in said and str(day.ctx.db.path) in said
    assert about.width() <= 1024 and about.height() <= 768
    table = about.findChild(QTableWidget, "licencesTable")
    listed = {
        table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
        for r in range(table.rowCount())
    }
    assert len(listed) == len(LIBRARIES) + 1  # and the font
    assert any("Hyperlegible" in n and words == FONT_LICENCE for n, (_v, words) in listed.items())
    for dist, licence in (
        ("PySide6-Essentials", "LGPL-3.0"),
        ("SQLAlchemy", "MIT"),
        ("reportlab", "BSD"),
        ("numpy", "BSD"),
        ("sqlcipher3-binary", "SQLCipher BSD"),
        ("argon2-cffi", "MIT"),
        ("cryptography", "Apache-2.0"),
        ("openpyxl", "MIT"),
        ("pypdfium2", "PDFium"),
        ("platformdirs", "MIT"),
        ("alembic", "MIT"),
    ):
        version, words = listed[dist]
        assert version == metadata.version(dist) and licence in words, dist
    about.reject()
