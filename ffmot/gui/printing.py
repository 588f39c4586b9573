"""Preview, print and save the PDFs that ffmot.report makes, through Qt's own dialogs.

The sheet is drawn once, by reportlab; Qt prints it by rasterising each page at the printer's
resolution (pdfium), and 'Save as PDF' writes reportlab's vector file as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRectF, QSizeF, Qt
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QFileDialog, QWidget

from ffmot.core.i18n import _

MAX_DPI = 300


def page_images(pdf: bytes, dpi: int) -> list[QImage]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    images = []
    try:
        for i in range(len(doc)):
            page = doc[i]
            bitmap = page.render(scale=dpi / 72)
            pil = bitmap.to_pil().convert("RGB")
            data = pil.tobytes("raw", "RGB")
            img = QImage(data, pil.width, pil.height, pil.width * 3, QImage.Format.Format_RGB888)
            images.append(img.copy())  # own the pixels before pil's buffer goes
            page.close()
    finally:
        doc.close()
    return images


def paint_pdf(printer: QPrinter, pdf: bytes) -> None:
    dpi = min(printer.resolution(), MAX_DPI)
    images = page_images(pdf, dpi)
    painter = QPainter()
    if not painter.begin(printer):
        return
    try:
        for n, img in enumerate(images):
            if n:
                printer.newPage()
            target = QRectF(painter.viewport())
            size = QSizeF(img.size()).scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRectF(target.topLeft(), size), img)
    finally:
        painter.end()


def a4_printer(name: str = "") -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if name:
        printer.setPrinterName(name)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)
    return printer


# Every preview open now, by id: kept until Qt has deleted the dialog and all its children
# (`destroyed` comes last), so the printer and PDF it holds are never freed while it may use them.
_open: dict[int, PdfPreviewDialog] = {}


class PdfPreviewDialog(QPrintPreviewDialog):
    """Qt's print preview (with its Print button) of one PDF made by ffmot.report.

    Qt keeps only a pointer to the QPrinter it is given, and this dialog is non-modal: the code
    that opens it returns at once, while the dialog paints with the printer for as long as it is
    on screen (and prints with it). So the dialog holds its printer and the PDF as attributes, and
    this module holds the dialog (whether or not it has a parent) until Qt has deleted it, which
    it does when the dialog is closed. Nothing it uses lives only in a caller's local variable.
    """

    def __init__(
        self, pdf: bytes, name: str, printer_name: str = "", parent: QWidget | None = None
    ) -> None:
        printer = a4_printer(printer_name)
        printer.setDocName(name)
        super().__init__(printer, parent)
        self._printer = printer
        self._pdf = pdf
        self.setObjectName("printPreview")
        self.setWindowTitle(_("Print preview — {name}", name=name))
        self.paintRequested.connect(self._paint)
        self.finished.connect(self.deleteLater)  # closed, printed or cancelled: released
        key = id(self)
        _open[key] = self
        self.destroyed.connect(lambda *_: _open.pop(key, None))
        self._fill_screen(parent)

    def _fill_screen(self, parent: QWidget | None) -> None:
        """Most of the screen, so the page is big enough to read (Qt's own size shows it at
        about a third of its size)."""
        screen = (parent.screen() if parent is not None else None) or self.screen()
        if screen is None:
            return
        room = screen.availableGeometry()
        self.resize(int(room.width() * 0.9), int(room.height() * 0.9))
        self.move(room.center() - self.rect().center())

    def _paint(self, printer: QPrinter) -> None:
        paint_pdf(printer, self._pdf)


def open_previews() -> list[PdfPreviewDialog]:
    """The previews open now (or closed and not yet deleted by Qt)."""
    return list(_open.values())


def print_pdf(
    parent: QWidget | None,
    pdf: bytes,
    name: str,
    printer_name: str = "",
    on_printed: Callable[[], None] | None = None,
) -> PdfPreviewDialog:
    """Opens Qt's print preview (with its Print button) for a PDF made by ffmot.report, and
    returns at once; the dialog keeps what it needs until it is closed."""
    dialog = PdfPreviewDialog(pdf, name, printer_name, parent)
    if on_printed is not None:
        dialog.accepted.connect(on_printed)  # the Print button was used
    dialog.open()
    return dialog


def save_pdf(parent: QWidget | None, pdf: bytes, suggested: str) -> Path | None:
    path, _filter = QFileDialog.getSaveFileName(parent, _("Save as PDF"), suggested, "PDF (*.pdf)")
    if not path:
        return None
    return write_pdf(Path(path), pdf)


def write_pdf(path: Path, pdf: bytes) -> Path:
    if path.suffix.lower() != ".pdf":
        path = path.with_suffix(".pdf")
    from ffmot.core.files import write_private

    write_private(path, pdf)  # binary on every system: a PDF's bytes are never text
    return path
