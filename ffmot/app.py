"""The composition root: what `ffmot` runs."""

from __future__ import annotations

import codecs
import io
import os
import sys

from ffmot.core.i18n import _

READER_GONE = 141  # what a shell reports for a command stopped by SIGPIPE (128 + 13)


def main(argv: list[str] | None = None) -> int:
    if getattr(sys, "frozen", False):  # the bundle (packaging/ffmot.spec)
        import multiprocessing

        # First: a worker process of `ffmot sheets` is this program started again; this runs
        # the worker's task and exits rather than reading its arguments as a command line.
        multiprocessing.freeze_support()
    args = sys.argv[1:] if argv is None else argv
    _output_as_given()
    try:
        try:
            from ffmot.core.paths import keep_files_private

            keep_files_private()
            from ffmot import cli

            code = cli.main(args)
        except SystemExit as e:  # argparse: --help, --version, a usage mistake
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
        if sys.stdout is not None:  # None under pythonw (ffmot-gui on Windows)
            sys.stdout.flush()  # a reader that went away shows here, not as a message at exit
        return code
    except BrokenPipeError:
        return _reader_gone()
    except KeyboardInterrupt:
        said = _("stopped")
        sys.stderr.write(f"ffmot: {said}\n")
        return 130
    except Exception as e:  # the last guard: a person never sees a traceback
        if os.environ.get("FFMOT_DEBUG"):
            raise
        said = _(
            "unexpected problem ({kind}: {problem}); set FFMOT_DEBUG=1 to see the details, "
            "and please report it",
            kind=type(e).__name__,
            problem=e,
        )
        sys.stderr.write(f"ffmot: {said}\n")
        return 1


def _output_as_given() -> None:
    """A path given in bytes that are not UTF-8 (which Python reads into the argument list as
    "surrogate escapes") is written back as those same bytes, as other tools do, rather than
    stopping the command with UnicodeEncodeError once its work is done. Where the output's
    encoding is not UTF-8 (a pipe on Windows), a character it lacks is shown as an escape."""
    out = sys.stdout
    if not isinstance(out, io.TextIOWrapper) or out.errors != "strict":
        return
    try:
        utf8 = codecs.lookup(out.encoding).name == "utf-8"
        out.reconfigure(errors="surrogateescape" if utf8 else "backslashreplace")
    except (LookupError, ValueError, OSError):
        pass


def _reader_gone() -> int:
    """Whoever read the output stopped reading (`ffmot participants | head -1`): end quietly,
    as other command-line tools do. What is still buffered for the closed pipe goes to the
    null device, so Python's own flush at exit has nothing to complain about."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except OSError:
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                try:
                    os.dup2(devnull, stream.fileno())
                finally:
                    os.close(devnull)
            except (OSError, ValueError):
                pass
    return READER_GONE
