"""The composition root: what `ffmot` runs."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        from ffmot import cli

        return cli.main(args)
    except KeyboardInterrupt:
        sys.stderr.write("ffmot: stopped\n")
        return 130
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    except Exception as e:  # the last guard: a person never sees a traceback
        if os.environ.get("FFMOT_DEBUG"):
            raise
        sys.stderr.write(
            f"ffmot: unexpected problem ({type(e).__name__}: {e}); set "
            "FFMOT_DEBUG=1 to see the details, and please report it\n"
        )
        return 1
