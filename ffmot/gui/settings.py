"""Typed settings with defaults, stored in an INI file whose path tests can choose."""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QSettings

from ffmot.core.errors import FfmotError


class Settings:
    """Every setting ffmot keeps between runs, with its type and default."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from ffmot.core.paths import settings_file

            path = settings_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._q = QSettings(str(path), QSettings.Format.IniFormat)

    def _str(self, key: str, default: str) -> str:
        v = self._q.value(key, default)
        return str(v) if v is not None else default

    def _bool(self, key: str, default: bool) -> bool:
        v = self._q.value(key, default)
        return v in (True, "true", "1", 1) if not isinstance(v, bool) else v

    def _set(self, key: str, value: object) -> None:
        self._q.setValue(key, value)
        self._q.sync()

    @property
    def database_url(self) -> str:
        """Empty: the local file in the user's data folder. Never holds a password (see
        ffmot/services/credentials.py): one kept here by an older version is moved out the
        first time it is read."""
        stored = self._str("database/url", "")
        if "@" in stored:
            with contextlib.suppress(FfmotError, OSError):
                self.database_url = stored
                return self._str("database/url", "")
        return stored

    @database_url.setter
    def database_url(self, v: str) -> None:
        """A PostgreSQL address's password goes to PostgreSQL's password file, not here."""
        from ffmot.services.credentials import keep_password_apart

        self._set("database/url", keep_password_apart(v))

    @property
    def station(self) -> str:
        return self._str("station/name", "Station 1")

    @station.setter
    def station(self, v: str) -> None:
        self._set("station/name", v.strip() or "Station 1")

    @property
    def practitioner(self) -> str:
        return self._str("station/practitioner", "")

    @practitioner.setter
    def practitioner(self, v: str) -> None:
        """Naming the practitioner signs them in for today."""
        import datetime as dt

        self._set("station/practitioner", v.strip())
        self._set("station/signed_in_on", dt.date.today().isoformat() if v.strip() else "")

    @property
    def signed_in_today(self) -> bool:
        """A practitioner has signed in at this station today (names are kept for the day)."""
        import datetime as dt

        return (
            bool(self.practitioner)
            and self._str("station/signed_in_on", "") == dt.date.today().isoformat()
        )

    @property
    def station_test(self) -> str:
        return self._str("station/test", "")

    @station_test.setter
    def station_test(self, v: str) -> None:
        self._set("station/test", v)

    @property
    def printer(self) -> str:
        """Empty: the system's default printer."""
        return self._str("print/printer", "")

    @printer.setter
    def printer(self, v: str) -> None:
        self._set("print/printer", v)

    @property
    def screen_language(self) -> str:
        """The language of the screens (ffmot/core/i18n.py): English unless chosen."""
        return self._str("view/language", "en")

    @screen_language.setter
    def screen_language(self, v: str) -> None:
        self._set("view/language", v)

    @property
    def organisation_folder(self) -> str:
        """The organisation's own folder (ffmot/core/organisation.py); empty: ffmot's own."""
        return self._str("organisation/folder", "")

    @organisation_folder.setter
    def organisation_folder(self, v: str) -> None:
        self._set("organisation/folder", v.strip())

    @property
    def large_print(self) -> bool:
        return self._bool("view/large_print", False)

    @large_print.setter
    def large_print(self, v: bool) -> None:
        self._set("view/large_print", bool(v))

    @property
    def training(self) -> bool:
        """The mode ffmot was last in. Left on, the next start says so and asks whether to keep
        practising (Controller.ask_to_keep_training): it never carries on in it silently."""
        return self._bool("view/training", False)

    @training.setter
    def training(self, v: bool) -> None:
        self._set("view/training", bool(v))

    @property
    def last_event(self) -> str:
        """The MOT day last open, kept apart for training mode's sandbox and the real database,
        so a day opened while practising never takes the place of the real one."""
        return self._str("event/last_training" if self.training else "event/last", "")

    @last_event.setter
    def last_event(self, v: str) -> None:
        self._set("event/last_training" if self.training else "event/last", v)

    @property
    def window_geometry(self) -> str:
        """The main window's last size, place and state (Qt's saveGeometry, as hex)."""
        return self._str("view/geometry", "")

    @window_geometry.setter
    def window_geometry(self, v: str) -> None:
        self._set("view/geometry", v)
