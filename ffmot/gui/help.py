"""The Help menu's windows: the practitioner's guide (searchable, with pictures of the app's
own screens), the keyboard shortcuts (read from the window's real actions and the screens' own
shortcuts, so the list cannot drift from what the keys do), and About with the licences of the
libraries ffmot ships with.

Why one room: the guide, the shortcuts and About are three small windows sharing one way of finding
and showing the guides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QColor,
    QKeySequence,
    QResizeEvent,
    QShortcut,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ffmot.core.i18n import N_, _
from ffmot.core.paths import resources_dir

if TYPE_CHECKING:
    from ffmot.gui.context import AppContext
    from ffmot.gui.main_window import MainWindow

NATIVE = QKeySequence.SequenceFormat.NativeText
EVERYWHERE = N_("Every screen")
# Keys of their own on some keyboards, which Qt binds beside the usual ones ("Save" beside Ctrl+S)
DEDICATED = {
    QKeySequence(k).toString(QKeySequence.SequenceFormat.PortableText)
    for k in (Qt.Key.Key_Help, Qt.Key.Key_Find, Qt.Key.Key_Save, Qt.Key.Key_New, Qt.Key.Key_Print)
}


def help_dir() -> Path:
    return resources_dir() / "help"


def plain(text: str) -> str:
    """A menu item's words as the guide writes them: no '&' marks, no trailing '…'."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def slug(heading: str) -> str:
    """A heading's anchor, as GitHub makes it, so the guide's contents links work there too."""
    kept = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return kept.replace(" ", "-")


def _fit(dialog: QDialog, width: int, height: int) -> None:
    """The dialog at `width` x `height`, or smaller to fit the screen it opens on."""
    parent = dialog.parentWidget()
    screen = parent.screen() if parent is not None else dialog.screen()
    if screen is not None:
        room = screen.availableGeometry()
        width = min(width, room.width() - 40)
        height = min(height, room.height() - 60)
    dialog.resize(width, height)


# --- the guide -------------------------------------------------------------------------------


class GuideText(QTextBrowser):
    """The guide's text: pictures are shrunk to fit the width (never enlarged), again on resize."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Fitted after a resize, not during it: changing the text while Qt lays it out for
        # the new width left the rest of the guide unlaid, and a match there out of view.
        self.fitting = QTimer(self)
        self.fitting.setSingleShot(True)
        self.fitting.setInterval(0)
        self.fitting.timeout.connect(self.fit_images)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fitting.start()

    def fit_images(self) -> None:
        room = max(200, self.viewport().width() - 40)
        doc = self.document()
        changed = False
        block = doc.begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                fmt = fragment.charFormat()
                if fmt.isImageFormat():
                    image = fmt.toImageFormat()
                    natural = self.natural_size(image.name())
                    want = float(min(natural.width(), room)) if natural.width() else float(room)
                    if abs(image.width() - want) > 0.5:
                        # Both sides given, so the layout is right before any picture is
                        # painted (a match found below one is then scrolled to, not past)
                        image.setWidth(want)
                        if natural.width():
                            image.setHeight(want * natural.height() / natural.width())
                        else:
                            image.clearProperty(QTextFormat.Property.ImageHeight)
                        cursor = QTextCursor(doc)
                        cursor.setPosition(fragment.position())
                        cursor.setPosition(
                            fragment.position() + fragment.length(),
                            QTextCursor.MoveMode.KeepAnchor,
                        )
                        cursor.setCharFormat(image)
                        changed = True
                it += 1
            block = block.next()
        if changed:  # laid out again whole: else the text after a picture was left unlaid
            doc.markContentsDirty(0, doc.characterCount())

    def natural_size(self, name: str) -> QSize:
        from PySide6.QtGui import QImageReader

        return QImageReader(str(help_dir() / name)).size()  # read from the header only


class GuideDialog(QDialog):
    """F1: the practitioner's guide, with a find box (Enter finds the next, Shift+Enter the one
    before; every match is highlighted) and a contents list linking to its sections."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guideDialog")
        self.setWindowTitle(_("ffmot: practitioner's guide"))
        self.find_box = QLineEdit()
        self.find_box.setObjectName("guideFind")
        self.find_box.setPlaceholderText(_("a word, then Enter"))
        self.find_box.setAccessibleName(_("Find in the guide"))
        self.find_box.setClearButtonEnabled(True)
        find_label = QLabel(_("&Find:"))
        find_label.setBuddy(self.find_box)
        self.next_button = QPushButton(_("Find &next"))
        self.next_button.setAutoDefault(False)
        self.status = QLabel()
        self.status.setObjectName("guideFindStatus")
        row = QHBoxLayout()
        row.addWidget(find_label)
        row.addWidget(self.find_box, 1)
        row.addWidget(self.next_button)
        row.addWidget(self.status)
        self.text = GuideText()
        self.text.setObjectName("guideText")
        self.text.setAccessibleName(_("The practitioner's guide"))
        self.text.setOpenExternalLinks(True)
        self.text.setSearchPaths([str(help_dir())])
        self.text.setMarkdown((help_dir() / "guide.md").read_text(encoding="utf-8"))
        self._anchor_headings()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        for button in close.buttons():
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
        close.rejected.connect(self.reject)
        hint = QLabel(_("Enter: next match · Shift+Enter: the one before · Esc: close"))
        bottom = QHBoxLayout()
        bottom.addWidget(hint, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.text, 1)
        layout.addLayout(bottom)
        self.find_box.returnPressed.connect(self.find_next)
        self.find_box.textChanged.connect(self._highlight_all)
        self.next_button.clicked.connect(self.find_next)
        QShortcut(QKeySequence.StandardKey.Find, self, self._focus_find)
        QShortcut(QKeySequence.StandardKey.FindNext, self, self.find_next)
        QShortcut(QKeySequence.StandardKey.FindPrevious, self, self.find_previous)
        QShortcut(QKeySequence("Shift+Return"), self.find_box, self.find_previous)
        QShortcut(QKeySequence("Shift+Enter"), self.find_box, self.find_previous)
        _fit(self, 920, 720)
        self.find_box.setFocus()

    def _anchor_headings(self) -> None:
        """Each heading gets the anchor its contents link uses (Qt's Markdown makes none)."""
        doc = self.text.document()
        block = doc.begin()
        while block.isValid():
            if block.blockFormat().headingLevel() > 0:
                cursor = QTextCursor(block)
                cursor.movePosition(
                    QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
                )
                fmt = QTextCharFormat()
                fmt.setAnchor(True)
                fmt.setAnchorNames([slug(block.text())])
                cursor.mergeCharFormat(fmt)
            block = block.next()

    def _focus_find(self) -> None:
        self.find_box.setFocus()
        self.find_box.selectAll()

    def find_next(self) -> None:
        self._find(backwards=False)

    def find_previous(self) -> None:
        self._find(backwards=True)

    def _find(self, backwards: bool) -> None:
        words = self.find_box.text().strip()
        if not words:
            self.status.setText("")
            return
        flags = QTextDocument.FindFlag.FindBackward if backwards else QTextDocument.FindFlag(0)
        if not self.text.find(words, flags):  # from the end round to the start, or back
            cursor = self.text.textCursor()
            cursor.movePosition(
                QTextCursor.MoveOperation.End if backwards else QTextCursor.MoveOperation.Start
            )
            self.text.setTextCursor(cursor)
            if not self.text.find(words, flags):
                self.status.setText(_("Not found"))
                self.status.setAccessibleName(_("Not found"))
                return
        self._highlight_all()
        shown, bar = self.text.cursorRect(), self.text.verticalScrollBar()
        bar.setValue(bar.value() + shown.center().y() - self.text.viewport().height() // 2)
        found = self.text.textCursor().selectionStart()
        where = [c.cursor.selectionStart() for c in self.text.extraSelections()]
        said = (
            _("{n} of {total}", n=where.index(found) + 1, total=len(where))
            if found in where
            else ""
        )
        self.status.setText(said)
        self.status.setAccessibleName(said)

    def _highlight_all(self) -> None:
        words = self.find_box.text().strip()
        marks: list[QTextEdit.ExtraSelection] = []
        if words:
            doc = self.text.document()
            cursor = doc.find(words)
            while not cursor.isNull():
                mark = QTextEdit.ExtraSelection()
                mark.cursor = cursor
                fmt = QTextCharFormat()
                fmt.setBackground(QColor("#ffe066"))  # the current match also has the selection
                fmt.setFontUnderline(True)  # not colour alone
                mark.format = fmt
                marks.append(mark)
                cursor = doc.find(words, cursor)
        self.text.setExtraSelections(marks)
        if not words:
            self.status.setText("")


# --- keyboard shortcuts ----------------------------------------------------------------------


@dataclass(frozen=True)
class Shortcut:
    screen: str
    keys: str
    does: str


def _keys(sequences: list[QKeySequence]) -> str:
    """The keys as typed ("Ctrl+S"), leaving out the dedicated keys few keyboards have (the
    "Save" or "Help" key Qt also binds)."""
    typed = [
        s.toString(NATIVE)
        for s in sequences
        if not s.isEmpty() and s.toString(QKeySequence.SequenceFormat.PortableText) not in DEDICATED
    ]
    said = typed[0] if typed else ""
    for key in typed[1:]:
        said = _("{keys} or {key}", keys=said, key=key)
    return said


def window_shortcuts(window: MainWindow) -> list[Shortcut]:
    """The window's own actions that have keys: the menus' and those added to the window."""
    seen: set[int] = set()
    rows: list[Shortcut] = []

    def add(action: QAction, menu: str) -> None:
        if id(action) in seen or action.isSeparator():
            return
        keys = _keys(action.shortcuts())
        sub = action.menu()
        if isinstance(sub, QMenu):
            inner = plain(action.text())
            for item in sub.actions():
                add(item, f"{menu} ▸ {inner}" if menu else inner)
            return
        seen.add(id(action))
        if keys:
            does = plain(action.text())
            if menu:
                does = _("{does} ({menu} menu)", does=does, menu=menu)
            rows.append(Shortcut(_(EVERYWHERE), keys, does))

    for top in window.menuBar().actions():
        add(top, "")
    for action in window.actions():
        add(action, "")
    return rows


def screen_shortcuts(window: MainWindow) -> list[Shortcut]:
    """Each screen's own keys: its shortcuts, and the Alt+letter of its buttons and boxes."""
    from PySide6.QtWidgets import QAbstractButton

    from ffmot.gui.main_window import VIEWS

    rows: list[Shortcut] = []
    for index, name in enumerate(VIEWS):
        view = window.view(name)
        screen = plain(window.tabs.tabText(index))
        found: list[Shortcut] = []
        for s in view.findChildren(QShortcut):
            keys = _keys(list(s.keys()))
            if keys and s.isEnabled():
                found.append(Shortcut(screen, keys, s.whatsThis() or _("(not described)")))
        for action in view.findChildren(QAction):
            keys = _keys(action.shortcuts())
            if keys:
                found.append(Shortcut(screen, keys, plain(action.text())))
        for w in view.findChildren(QWidget):
            if isinstance(w, QAbstractButton):
                text, does = w.text(), plain(w.text())
            elif isinstance(w, QLabel) and w.buddy() is not None:
                text = w.text()
                does = _("Go to the box: {box}", box=plain(text).rstrip(":"))
            else:
                continue
            key = QKeySequence.mnemonic(text)
            if key.isEmpty() or key.toString(NATIVE)[-1:].isdigit():  # 1-5: the reasons panel
                continue
            found.append(Shortcut(screen, key.toString(NATIVE), does))
        unique = list(dict.fromkeys(found))  # its own keys first, then its Alt+letters
        alt = [r for r in unique if r.keys.startswith("Alt")]
        rows.extend([r for r in unique if r not in alt] + sorted(alt, key=lambda r: r.keys))
    return rows


class ShortcutsDialog(QDialog):
    """Help ▸ Keyboard shortcuts: a table of every key, screen by screen."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle(_("ffmot: keyboard shortcuts"))
        self.rows = window_shortcuts(window) + screen_shortcuts(window)
        self.table = QTableWidget(len(self.rows), 3)
        self.table.setObjectName("shortcutsTable")
        self.table.setAccessibleName(_("Keyboard shortcuts, by screen"))
        self.table.setHorizontalHeaderLabels([_("Screen"), _("Keys"), _("What it does")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        last = ""
        for i, row in enumerate(self.rows):
            cells = (row.screen, row.keys, row.does)
            for j, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.AccessibleTextRole, value)
                if j == 0 and value == last:  # grouped: the screen is said once to the eye
                    item.setText("")
                    item.setData(Qt.ItemDataRole.AccessibleTextRole, value)
                    item.setToolTip(value)
                elif j == 0:
                    bold = item.font()
                    bold.setBold(True)
                    item.setFont(bold)
                self.table.setItem(i, j, item)
            last = row.screen
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        intro = QLabel(
            _(
                "Read from the keys ffmot has now. Enter, Tab and Esc work as usual in every "
                "box; the guide (F1) says more about each screen."
            )
        )
        intro.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        _fit(self, 820, 680)
        self.table.setFocus()
        self.table.setCurrentCell(0, 0)


# --- about and licences ----------------------------------------------------------------------

# (distribution, what ffmot uses it for, licence): versions are read when About opens. What
# it is used for is translated where it is shown; the names and licences are not.
LIBRARIES: tuple[tuple[str, str, str], ...] = (
    ("PySide6-Essentials", N_("Qt for Python: the windows"), "LGPL-3.0 (Qt and Qt for Python)"),
    ("shiboken6", N_("Qt for Python's binding layer"), "LGPL-3.0"),
    ("SQLAlchemy", N_("the database"), "MIT"),
    ("alembic", N_("database upgrades"), "MIT"),
    ("sqlcipher3-binary", N_("encrypted database files (SQLCipher)"), "zlib; SQLCipher BSD-style"),
    ("psycopg", N_("a shared PostgreSQL database"), "LGPL-3.0"),
    ("argon2-cffi", N_("PIN hashing (Argon2id)"), "MIT"),
    ("cryptography", N_("sealing the database key"), "Apache-2.0 or BSD-3-Clause"),
    ("reportlab", N_("the printed sheets"), "BSD-3-Clause"),
    ("pypdfium2", N_("print preview (with PDFium)"), "Apache-2.0 or BSD-3-Clause; PDFium BSD-3"),
    ("pillow", N_("pictures in the sheets"), "MIT-CMU (HPND)"),
    ("numpy", N_("the norm tables"), "BSD-3-Clause"),
    ("openpyxl", N_("Excel export"), "MIT"),
    ("platformdirs", N_("where ffmot keeps its files"), "MIT"),
)
FONT_LICENCE = "SIL OFL 1.1"


def library_versions() -> list[tuple[str, str, str, str]]:
    """(library, version, licence, what for); a library not installed says so."""
    rows = []
    for dist, use, licence in LIBRARIES:
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            version = _("not installed")
        rows.append((dist, version, licence, use))
    return [*rows, font_row()]


def font_row() -> tuple[str, str, str, str]:
    """The typeface on screen and on every page, shipped with ffmot under the Open Font
    Licence (as whichever family ffmot.report.fonts names)."""
    from ffmot.report import fonts

    family = getattr(fonts, "FAMILY", "Atkinson Hyperlegible")
    return (
        _("{family} (font)", family=family),
        _("with ffmot"),
        FONT_LICENCE,
        N_("the type, on screen and on paper"),
    )


class AboutDialog(QDialog):
    """Help ▸ About: what this is, where things are, and the licences it ships with."""

    def __init__(self, window: MainWindow, text: str) -> None:
        super().__init__(window)
        self.setObjectName("aboutBox")
        self.setWindowTitle(_("About ffmot"))
        self.tabs = QTabWidget()
        self.label = QLabel(text)
        self.label.setObjectName("aboutText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setAccessibleName(_("About ffmot"))
        about = QWidget()
        QVBoxLayout(about).addWidget(self.label, 1)
        self.tabs.addTab(about, _("&About"))
        self.licences = QTableWidget()
        self.licences.setObjectName("licencesTable")
        self.licences.setAccessibleName(_("Libraries ffmot ships with, and their licences"))
        rows = library_versions()
        self.licences.setRowCount(len(rows))
        self.licences.setColumnCount(3)
        self.licences.setHorizontalHeaderLabels([_("Library"), _("Version"), _("Licence")])
        self.licences.verticalHeader().hide()
        self.licences.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.licences.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.licences.setWordWrap(True)
        for i, (name, version, licence, use) in enumerate(rows):
            for j, value in enumerate((name, version, licence)):
                item = QTableWidgetItem(value)
                item.setToolTip(f"{name}: {_(use)}")  # what ffmot uses it for
                self.licences.setItem(i, j, item)
        header = self.licences.horizontalHeader()
        for j in range(2):
            header.setSectionResizeMode(j, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.licences.resizeRowsToContents()
        note = QLabel(
            _(
                "Each library's full licence is installed with it. Qt and Qt for Python are "
                "used under the GNU LGPL version 3: you may replace them with your own build. "
                "ffmot itself is proprietary."
            )
        )
        note.setWordWrap(True)
        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.addWidget(self.licences, 1)
        page_layout.addWidget(note)
        self.tabs.addTab(page, _("&Licences"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        _fit(self, 760, 640)

    def text(self) -> str:
        return self.label.text()

    def sizeHint(self) -> QSize:
        return QSize(760, 640)


def database_words(ctx: AppContext) -> str:
    """Where the database is and what kind it is, for About: "/path/ffmot.db (an encrypted
    file on this computer)", or a shared server's address without its password."""
    if not ctx.is_ready:
        return _("not open yet")
    from ffmot.store.db import describe

    db = ctx.db
    if db.kind == "postgresql":
        kind = _("a shared PostgreSQL database")
    elif db.encrypted:
        kind = _("an encrypted SQLCipher file on this computer")
    elif db.plain_file:
        kind = _("an unencrypted file on this computer")
    else:
        kind = db.kind
    if ctx.training:
        kind = _("{kind}, the training sandbox", kind=kind)
    return f"{describe(db.url)} ({kind})"
