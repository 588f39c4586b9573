"""What ffmot prints: the take-home sheet, the MOT-day summary and the participant card.

Each output is a pure function of plain data that returns PDF (or CSV, XLSX) bytes: no Qt, no
database session inside. The desktop app previews and prints those bytes; `files` writes them.

    sheet.sheet_pdf(overview)            one participant's large-print sheet
    batch.sheets_pdf(overviews, ...)     every sheet of an MOT day, in one PDF (both CPU cores)
    batch.sheet_files(overviews, ...)    the same, one PDF per participant
    summary.summary_pdf(data)            the anonymised MOT-day summary (also _csv, _xlsx)
    card.card_pdf(code, name, ...)       the check-in card with a QR code
"""
