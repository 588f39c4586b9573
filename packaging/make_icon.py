"""Renders resources/icons/ffmot.svg to a 512-pixel PNG for the Windows and macOS builds
(PyInstaller turns it into an .ico or .icns): packaging/make_icon.py OUT.png"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SVG = Path(__file__).resolve().parent.parent / "resources" / "icons" / "ffmot.svg"


def main(out: str, size: int = 512) -> int:
    app = QGuiApplication([])  # noqa: F841 (Qt needs one before painting)
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    return 0 if image.save(out) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
