"""Every sheet of an MOT day at once, on all the computer's cores.

The caller loads the data first (plain `Overview`s); worker processes only run the pure
`render_sheet`. Workers are started with "spawn", never "fork", so this is safe to call from a
program with threads (the desktop app); they end when the process that started them ends, even
by kill -9, so no worker is left rendering for nobody. Progress is reported as
`progress(done, total)` after each chunk; a progress callback that raises stops the work and the
error reaches the caller.

`sheets_pdf` joins the sheets into one PDF (each sheet starts on a new page; with duplex=True a
blank page follows a sheet with an odd number of pages, so no sheet is printed on the back of
someone else's). `sheet_files` gives one PDF per participant, named by their code.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed

from ffmot.core import codes
from ffmot.report.sheet import PAGE_H, PAGE_W, Rendered, render_sheet
from ffmot.services.overview import Overview

Progress = Callable[[int, int], None]
MIN_FOR_WORKERS = 4  # fewer sheets than this are quicker without starting processes
MAX_CHUNK = 10


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _render_chunk(overviews: list[Overview]) -> list[Rendered]:
    return [render_sheet(o) for o in overviews]


def _pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes that end when this process ends, however it ends.

    The pool is made, used and shut down by one call on one thread (Linux ties the death
    signal below to the thread that started the worker)."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_end_with_parent,
        initargs=(os.getpid(),),
    )


def _end_with_parent(parent_pid: int) -> None:
    """First thing in each worker: if the program that started it is killed (kill -9, a crash,
    the desktop app forced to quit), the worker ends too rather than lingering on a core.

    On Linux the kernel kills the worker when its parent dies (PR_SET_PDEATHSIG); everywhere a
    watching thread waits on the parent's sentinel (a pipe the parent holds, or its process
    handle on Windows) and ends the worker when the parent has gone."""
    if sys.platform.startswith("linux"):
        _linux_death_signal()
    if _parent_gone(parent_pid):  # it died before the death signal was set
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="ffmot-parent-watch", daemon=True
    ).start()


def _linux_death_signal() -> None:
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # the watching thread still covers it
        pass


def _parent_gone(parent_pid: int) -> bool:
    parent = multiprocessing.parent_process()
    if parent is not None and not parent.is_alive():
        return True
    # On POSIX an orphan is adopted by another process; Windows keeps the old id.
    return os.name == "posix" and os.getppid() != parent_pid


def _watch_parent(parent_pid: int) -> None:
    parent = multiprocessing.parent_process()
    while not _parent_gone(parent_pid):
        if parent is not None:
            parent.join(timeout=1.0)  # returns at once when the parent ends
        else:
            time.sleep(1.0)
    os._exit(1)


def render_many(
    overviews: Sequence[Overview],
    progress: Progress | None = None,
    workers: int | None = None,
) -> list[Rendered]:
    """Each overview's sheet, in the order given."""
    n = len(overviews)
    w = min(default_workers() if workers is None else max(1, workers), max(n, 1))
    if w == 1 or n < MIN_FOR_WORKERS:
        return _render_here(overviews, progress)
    ex = _pool(w)
    try:
        return _render_in(ex, w, overviews, progress)
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def _render_here(overviews: Sequence[Overview], progress: Progress | None) -> list[Rendered]:
    out = []
    for i, o in enumerate(overviews):
        out.append(render_sheet(o))
        if progress:
            progress(i + 1, len(overviews))
    if progress and not overviews:
        progress(0, 0)
    return out


def _render_in(
    ex: ProcessPoolExecutor, w: int, overviews: Sequence[Overview], progress: Progress | None
) -> list[Rendered]:
    n = len(overviews)
    size = max(1, min(MAX_CHUNK, math.ceil(n / (w * 4))))
    results: list[Rendered | None] = [None] * n
    futures: dict[Future[list[Rendered]], int] = {
        ex.submit(_render_chunk, list(overviews[i : i + size])): i for i in range(0, n, size)
    }
    done = 0
    for f in as_completed(futures):
        chunk = f.result()
        for k, r in enumerate(chunk):
            results[futures[f] + k] = r
        done += len(chunk)
        if progress:
            progress(done, n)
    return [r for r in results if r is not None]


def join_pdfs(parts: Sequence[bytes], shell: bytes, duplex: bool = False) -> bytes:
    """The parts' pages in one PDF whose document information (title, author ...) is the
    shell's. The shell is a one-page PDF; its page is dropped."""
    import pypdfium2 as pdfium

    dst = pdfium.PdfDocument(shell)
    try:
        for part in parts:
            src = pdfium.PdfDocument(part)
            try:
                pages = len(src)
                dst.import_pages(src)
            finally:
                src.close()
            if duplex and pages % 2:
                dst.new_page(PAGE_W, PAGE_H).close()
        dst.del_page(0)
        out = io.BytesIO()
        dst.save(out)
        return out.getvalue()
    finally:
        dst.close()


def _shell(overviews: Sequence[Overview]) -> bytes:
    """An empty page carrying the joined file's title, author, subject and language."""
    from reportlab.pdfgen.canvas import Canvas

    from ffmot import __version__
    from ffmot.core.i18n import _, pdf_language
    from ffmot.report.fonts import REGULAR, register_fonts
    from ffmot.report.sheet import SUBJECT
    from ffmot.report.words import long_date

    register_fonts()
    first = overviews[0]
    events = {o.event.id for o in overviews}
    title = (
        _(
            "Functional Fitness MOT sheets: {day}, {date}",
            day=first.event.name,
            date=long_date(first.event.date),
        )
        if len(events) == 1
        else _("Functional Fitness MOT sheets")
    )
    buf = io.BytesIO()
    c = Canvas(
        buf,
        pagesize=(PAGE_W, PAGE_H),
        invariant=1,
        initialFontName=REGULAR,
        lang=pdf_language(),  # the practitioner's: each sheet inside has its own
    )
    c.setTitle(title)
    c.setAuthor(first.event.organisation or "ffmot")
    c.setSubject(SUBJECT)
    c.setCreator(f"ffmot {__version__}")
    c.setKeywords(["Functional Fitness MOT", *(["training"] if first.training else [])])
    c.showPage()
    c.save()
    return buf.getvalue()


def sheets_pdf(
    overviews: Sequence[Overview],
    progress: Progress | None = None,
    duplex: bool = False,
    workers: int | None = None,
) -> bytes:
    """Every sheet in one PDF, in the order given.

    The pages are joined (by pdfium) in a worker process too: pdfium must not run in two
    threads of one process at once, and the desktop app may be showing a preview with it.
    """
    if not overviews:
        raise ValueError("no sheets to print")
    n = len(overviews)
    w = min(default_workers() if workers is None else max(1, workers), n)
    ex = _pool(w)
    try:
        if w == 1 or n < MIN_FOR_WORKERS:
            rendered = _render_here(overviews, progress)
        else:
            rendered = _render_in(ex, w, overviews, progress)
        parts = [r.pdf for r in rendered]
        return ex.submit(join_pdfs, parts, _shell(overviews), duplex).result()
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def file_name(o: Overview) -> str:
    """A sheet's file name: the participant's code, as on their card (ABCD-EFG.pdf)."""
    return f"{codes.display(o.participant.code)}.pdf"


def sheet_files(
    overviews: Sequence[Overview],
    progress: Progress | None = None,
    workers: int | None = None,
) -> dict[str, bytes]:
    """One PDF per overview, keyed by file name, in the order given."""
    names: list[str] = []
    for o in overviews:
        name, k = file_name(o), 1
        while name in names:  # the same person twice (two MOT days in one batch)
            k += 1
            name = f"{file_name(o)[:-4]}-{k}.pdf"
        names.append(name)
    rendered = render_many(overviews, progress, workers)
    return {name: r.pdf for name, r in zip(names, rendered, strict=True)}
