"""Atkinson Hyperlegible, registered with reportlab on first use (never at import) and always
embedded (as a subset) in the PDFs ffmot writes."""

from __future__ import annotations

import threading
from pathlib import Path

from ffmot.core.errors import FfmotError

REGULAR = "AtkinsonHyperlegible"
BOLD = "AtkinsonHyperlegible-Bold"
ITALIC = "AtkinsonHyperlegible-Italic"
BOLD_ITALIC = "AtkinsonHyperlegible-BoldItalic"
_FILES = {
    REGULAR: "AtkinsonHyperlegible-Regular.ttf",
    BOLD: "AtkinsonHyperlegible-Bold.ttf",
    ITALIC: "AtkinsonHyperlegible-Italic.ttf",
    BOLD_ITALIC: "AtkinsonHyperlegible-BoldItalic.ttf",
}
_lock = threading.Lock()
_registered = False


def font_dir() -> Path:
    """The folder holding the font's TTF files (inside the fontpkg package)."""
    try:
        import fontpkg_atkinson_hyperlegible as pkg
    except ImportError:
        raise FfmotError(
            "the Atkinson Hyperlegible font is not installed (package "
            "fontpkg-atkinson-hyperlegible): reinstall ffmot"
        ) from None
    return Path(pkg.ROOT) / "files"


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

        folder = font_dir()
        for name, filename in _FILES.items():
            path = folder / filename
            try:
                pdfmetrics.registerFont(TTFont(name, str(path)))
            except (OSError, TTFError) as e:
                raise FfmotError(f"cannot load the font {path}: {e}") from None
        for bold, italic, name in (
            (0, 0, REGULAR),
            (1, 0, BOLD),
            (0, 1, ITALIC),
            (1, 1, BOLD_ITALIC),
        ):
            addMapping(REGULAR, bold, italic, name)
        _registered = True
