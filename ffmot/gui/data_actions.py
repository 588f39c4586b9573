"""File menu work on the whole database: export, import and merge, off the GUI thread."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from ffmot.core.errors import sentence
from ffmot.core.i18n import N_, _
from ffmot.gui.context import AppContext, keep_open, show_error


def _tell(parent: QWidget, text: str) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Information, "ffmot", text, QMessageBox.StandardButton.Ok, parent
    )
    box.setObjectName("infoBox")
    keep_open(box)
    box.open()


def export(ctx: AppContext, parent: QWidget, anonymised: bool) -> None:
    path, _chosen = QFileDialog.getSaveFileName(
        parent,
        _("Export anonymised results") if anonymised else _("Export results"),
        "ffmot-anonymised.xlsx" if anonymised else "ffmot-results.xlsx",
        f"{_('Spreadsheet')} (*.xlsx);;CSV (*.csv)",  # the patterns are not translated
    )
    if path:
        run_export(ctx, parent, Path(path), anonymised)


def run_export(ctx: AppContext, parent: QWidget, path: Path, anonymised: bool) -> None:
    from ffmot.services.export import export_file

    fmt = "csv" if path.suffix.lower() == ".csv" else "xlsx"
    if path.suffix.lower() not in (".csv", ".xlsx"):
        path = path.with_suffix(".xlsx")
    ctx.runner.run(
        lambda: export_file(ctx.db, ctx.actor, path, fmt, anonymised),
        lambda s: _tell(
            parent,
            _(
                "Wrote {rows} rows for {participants} participant(s) to {path}.",
                rows=s.rows,
                participants=s.participants,
                path=path,
            )
            + (
                " " + _("{count} left out: no consent to anonymous use.", count=s.left_out)
                if anonymised and s.left_out
                else ""
            )
            + (
                "".join(f"\n{sentence(line)}" for line in s.k_anonymity.lines())
                if s.k_anonymity is not None
                else ""
            ),
        ),
        lambda e: show_error(parent, e, N_("exporting")),
    )


def import_(ctx: AppContext, parent: QWidget, path: Path | None = None) -> None:
    """File > Import results. A file holding consent decisions for people new here is taken
    only after a yes: each decision is that person's own, so the practitioner is asked first."""
    if path is None:
        chosen, _filter = QFileDialog.getOpenFileName(
            parent, _("Import results"), "", f"{_('ffmot exports')} (*.xlsx *.csv)"
        )
        if not chosen:
            return
        path = Path(chosen)
    from ffmot.services.transfer import ConsentsInFile, ImportRefused, ImportSummary, import_file

    source = path

    def attempt(take_consents: bool) -> None:
        def failed(e: BaseException) -> None:
            if isinstance(e, ConsentsInFile) and not take_consents:
                ask(e.people)
            elif isinstance(e, ImportRefused):
                lines = "\n".join(e.problems[:15])
                more = (
                    "\n" + _("…and {count} more.", count=len(e.problems) - 15)
                    if len(e.problems) > 15
                    else ""
                )
                _tell(parent, f"{e}.\n\n{lines}{more}")
            else:
                show_error(parent, e, N_("importing"))

        def done(s: ImportSummary) -> None:
            ctx.records_changed.emit("")
            taken = (
                " "
                + _(
                    "{consents} consent decision(s) for {people} participant(s) taken from "
                    "the file.",
                    consents=s.consents,
                    people=s.consent_people,
                )
                if s.consents
                else ""
            )
            not_taken = f" {s.consents_not_taken_note()}." if s.consents_not_taken else ""
            _tell(
                parent,
                _(
                    "Imported {results} results: {participants} new participant(s), "
                    "{events} MOT day(s), {visits} visit(s). {already} were already here.",
                    results=s.results,
                    participants=s.participants,
                    events=s.events,
                    visits=s.visits,
                    already=s.already_there,
                )
                + taken
                + not_taken,
            )

        ctx.runner.run(
            lambda: import_file(ctx.db, ctx.actor, source, take_consents=take_consents),
            done,
            failed,
        )

    def ask(people: int) -> None:
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Consent decisions in the file"),
            _(
                "{file} holds consent decisions for {people} participant(s) new here "
                "(keeping results, contact, sharing with their GP, anonymous reports).\n\n"
                "Consent is each person's own decision. Take these decisions as the file "
                "records them?\n\nNo imports nothing: empty the consent columns and ask each "
                "person at check-in instead.",
                file=source.name,
                people=people,
            ),
            yes | no,
            parent,
        )
        box.setObjectName("consentBox")
        box.setDefaultButton(no)

        def answered(button: object) -> None:
            if button is box.button(yes):
                attempt(True)
            else:
                _tell(parent, _("Nothing was imported: the consent decisions were not taken."))

        box.buttonClicked.connect(answered)
        keep_open(box)
        box.open()

    attempt(False)


def merge(ctx: AppContext, parent: QWidget) -> None:
    """Bring in station work: any number of station files at once. Cancel changes nothing."""
    paths, _filter = QFileDialog.getOpenFileNames(
        parent,
        _("Bring in station work"),
        "",
        f"{_('ffmot station files')} (*.db);;{_('All files')} (*)",
    )
    if paths:
        run_merge(ctx, parent, *paths)


def merge_shared(ctx: AppContext, parent: QWidget) -> None:
    """Bring in the work of a shared database (a PostgreSQL address), for a laptop that ran
    the day on its own file."""
    url, ok = QInputDialog.getText(
        parent,
        _("Bring in a shared database's work"),
        _(
            "The address of the shared database (as in Settings), for example\n"
            "postgresql://ffmot@server/ffmot:"
        ),
    )
    if ok and url.strip():
        run_merge(ctx, parent, url.strip())


def save_work(ctx: AppContext, parent: QWidget) -> None:
    """Save this station's work as one file, for the results table to bring in."""
    folder = QFileDialog.getExistingDirectory(parent, _("Save this station's work to"))
    if not folder:
        return
    from ffmot.services.station_file import save_station_work

    ctx.runner.run(
        lambda: save_station_work(ctx.db, Path(folder), ctx.settings.station),
        lambda path: _tell(
            parent,
            _("Saved this station's work to {path}. Bring it in at the results table.", path=path),
        ),
        lambda e: show_error(parent, e, N_("saving this station's work")),
    )


def run_merge(ctx: AppContext, parent: QWidget, *sources: str) -> None:
    """Each file in turn: one that cannot be brought in is named, and the rest still come in."""
    from ffmot.core.errors import FfmotError
    from ffmot.services.merge import merge as do_merge

    def work() -> list[str]:
        lines = []
        for source in sources:
            try:
                lines.append(do_merge(ctx.db, ctx.actor, source).line())
            except FfmotError as e:
                lines.append(_("{file}: not brought in. {why}", file=Path(source).name, why=e))
        return lines

    def done(lines: list[str]) -> None:
        ctx.records_changed.emit("")
        _tell(parent, "\n\n".join(lines))

    ctx.runner.run(work, done, lambda e: show_error(parent, e, N_("merging")))
