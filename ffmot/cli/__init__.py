"""The command line: a thin face over the services, one module per group of commands.

    main.py     the parser, the exit statuses, `score`, `norms`, `diagnostics`, `gui`, and which
                module runs each command; the organisation folder, database and language chosen
                in the desktop app's Settings
    store.py    the database's commands: db, demo, participants, events, export, import, merge,
                erase, correct, merge-people, save-work
    report.py   sheet, sheets, summary, subject-access
    access.py   practitioners, audit, retention, and signing in with a PIN
    cards.py    station-cards

`python -m ffmot` and the installed `ffmot` command call `ffmot.app.main`, which calls `main`.
"""

from ffmot.cli.main import EXIT_STATUSES, build_parser, main, speak_chosen_language

__all__ = ["EXIT_STATUSES", "build_parser", "main", "speak_chosen_language"]
