"""FFMOT Hyperlegible (Atkinson Hyperlegible, a face designed for low-vision readers, with the
letters of Welsh and other names in the UK added: resources/fonts/FONTLOG.txt), registered
with reportlab on first use (never at import) and always embedded (as a subset) in the PDFs
ffmot writes. The desktop app shows the same files on screen (ffmot.gui.app)."""

from __future__ import annotations

import threading
from pathlib import Path

from ffmot.core.errors import FfmotError
from ffmot.core.i18n import _
from ffmot.core.paths import resources_dir

FAMILY = "FFMOT Hyperlegible"  # the family name inside the files (what Qt calls it)
REGULAR = "FFMOTHyperlegible"
BOLD = "FFMOTHyperlegible-Bold"
ITALIC = "FFMOTHyperlegible-Italic"
BOLD_ITALIC = "FFMOTHyperlegible-BoldItalic"
FILES = {
    REGULAR: "FFMOTHyperlegible-Regular.ttf",
    BOLD: "FFMOTHyperlegible-Bold.ttf",
    ITALIC: "FFMOTHyperlegible-Italic.ttf",
    BOLD_ITALIC: "FFMOTHyperlegible-BoldItalic.ttf",
}
_lock = threading.Lock()
_registered = False


def font_dir() -> Path:
    """The folder holding the four TTF files (resources/fonts, inside the installed package)."""
    return resources_dir() / "fonts"


def font_files() -> list[Path]:
    """The four TTF files, each checked to be there and readable; otherwise an FfmotError
    naming the file."""
    out = []
    for filename in FILES.values():
        path = font_dir() / filename
        try:
            with path.open("rb") as f:
                head = f.read(4)
        except OSError as e:
            raise FfmotError(
                _(
                    "cannot read the font file {path} ({problem}): reinstall ffmot",
                    path=path,
                    problem=e.strerror or e,
                )
            ) from None
        if head not in (b"\x00\x01\x00\x00", b"true"):
            raise FfmotError(
                _("the font file {path} is not a TrueType font: reinstall ffmot", path=path)
            )
        out.append(path)
    return out


def register_fonts() -> None:
    """Registers the four faces and their family (so <b> and <i> work). Safe to call often."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFError, TTFont

        paths = font_files()
        for name, path in zip(FILES, paths, strict=True):
            try:
                pdfmetrics.registerFont(TTFont(name, str(path)))
            except (OSError, TTFError) as e:
                raise FfmotError(
                    _(
                        "cannot load the font file {path} ({problem}): reinstall ffmot",
                        path=path,
                        problem=e,
                    )
                ) from None
        for bold, italic, name in (
            (0, 0, REGULAR),
            (1, 0, BOLD),
            (0, 1, ITALIC),
            (1, 1, BOLD_ITALIC),
        ):
            addMapping(REGULAR, bold, italic, name)
        _registered = True
