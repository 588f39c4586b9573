"""Encryption at rest for the local database: its key, and who can unlock it.

Every new SQLite database is a SQLCipher file: each page AES-256 encrypted and authenticated,
so the file, its -wal and its backups read as noise without the key. The key is 32 random
bytes. It is never written in plain beside the database; what can unlock it is kept in
`<database>.keys` beside the file (owner-only JSON, no personal data):

- **practitioner**: one entry per practitioner who may sign in, holding the key sealed
  (AES-256-GCM) under a key made from their PIN or password by Argon2id (memory-hard). Signing
  in unlocks the database; nothing else does. Entries are named by a keyed hash of the folded
  name, so the file does not list the staff either.
- **device**: an open database (no practitioners yet) keeps its key in a file in this computer
  account's settings folder (outside the database's folder, owner-only). That protects a copied
  or lost database file, not a computer account someone else can use: the app and the command
  line say so until a data lead is made, which removes the device key.

The recovery code is the key itself, written as 13 groups of four letters and digits. It is
shown once, when a data lead is made, with the warning that without it (or someone's PIN, and
this `.keys` file) the records cannot be opened by anyone, ever. It opens the database even when
the `.keys` file is lost.

SQLCipher keeps the first 32 bytes of the file in plain (the "SQLite format 3" heading, page
size and page count, no records): that lets ffmot notice a file cut short while it is open,
exactly as for a plain file (store/db.py). The salt SQLCipher would keep there is derived from
the key instead.

A key unlocked in this process is remembered for that file (by device and inode) so that every
connection opened on it can use it; `forget` drops it.

Why one room: the key, the PINs that unlock it, the recovery code and sealed drafts are one
secret's life; split, a path could skip a check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ffmot.core.i18n import N_, _
from ffmot.store.errors import StoreError

KEY_BYTES = 32
SUFFIX = ".keys"
FORMAT = "ffmot database keys"
PLAINTEXT_HEADER = 32  # bytes of the file left in plain: heading, page size, page count
# Argon2id, the costs argon2-cffi recommends for passwords (RFC 9106's second choice).
KDF = {"t": 3, "m": 65536, "p": 4}
REFUSALS_KEPT = 1000
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: nothing to misread


class Locked(StoreError):
    """The database is encrypted and nobody has unlocked it in this process: sign in."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


class KeyRefused(StoreError):
    """The name and PIN, or the recovery code, do not unlock this database."""


@dataclass
class Envelope:
    """The `.keys` file's content."""

    check: str  # hex: proves a key is this database's before SQLCipher is given it
    device: str | None  # the device key file's name, for an open database
    wraps: list[dict[str, Any]]
    # Sign-ins refused before the database could be opened (a wrong PIN cannot unlock it, so
    # cannot be written in its audit): kept here, without names, until the next sign-in moves
    # them into the audit. And the names locked after too many wrong PINs in a row.
    refused: list[dict[str, str]] = field(default_factory=list)
    locks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "version": 1,
                "check": self.check,
                "device": self.device,
                "wraps": self.wraps,
                "refused": self.refused[-REFUSALS_KEPT:],
                "locks": self.locks,
            },
            indent=1,
        )


def keyfile(db_path: Path) -> Path:
    return Path(f"{db_path}{SUFFIX}")


def sqlcipher_key(key: bytes) -> str:
    """The PRAGMA key value: the raw key and its salt, so SQLCipher derives nothing slowly."""
    salt = hashlib.sha256(b"ffmot sqlcipher salt" + key).digest()[:16]
    return f"x'{key.hex()}{salt.hex()}'"


def check_value(key: bytes) -> str:
    return hmac.new(key, b"ffmot database key check", hashlib.sha256).hexdigest()[:32]


def is_encrypted(head: bytes) -> bool:
    """From the file's first 100 bytes: a SQLCipher file keeps its heading in plain but reserves
    80 bytes in every page for its checks (byte 20: a 16-byte IV and a 64-byte HMAC); a plain
    SQLite file reserves none. Bytes 21-23 are fixed by SQLite in both, so junk that merely
    starts with the heading is not taken for an encrypted file."""
    return (
        len(head) >= 24
        and head.startswith(b"SQLite format 3\x00")
        and head[20] == 80
        and head[21:24] == b"\x40\x20\x20"
    )


# --- keys unlocked in this process ---------------------------------------------------------------

_UNLOCKED: dict[tuple[int, int], bytes] = {}
_UNLOCKED_LOCK = threading.Lock()


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def remember(path: Path, key: bytes) -> None:
    fid = _file_id(path)
    if fid is not None:
        with _UNLOCKED_LOCK:
            _UNLOCKED[fid] = key


def forget(path: Path) -> None:
    fid = _file_id(path)
    with _UNLOCKED_LOCK:
        if fid is not None:
            _UNLOCKED.pop(fid, None)


def _remembered(path: Path) -> bytes | None:
    fid = _file_id(path)
    with _UNLOCKED_LOCK:
        return _UNLOCKED.get(fid) if fid is not None else None


# --- the .keys file ------------------------------------------------------------------------------


def read_envelope(db_path: Path) -> Envelope | None:
    """The `.keys` file beside the database, or None if there is none. A damaged one is said."""
    path = keyfile(db_path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise StoreError(
            _("cannot read {file} ({problem})", file=path.name, problem=e.strerror)
        ) from None
    if not stat.S_ISREG(st.st_mode) or st.st_size > 1 << 20:
        raise StoreError(
            _(
                "{path} is not an ffmot key file (not an ordinary file, or far too big): put "
                "back the .keys file from your backup",
                path=path,
            )
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("version") != 1:
            raise ValueError("not ours")
        wraps = [w for w in data["wraps"] if isinstance(w, dict)]
        device = data.get("device")
        refused = [
            {str(k): str(v) for k, v in r.items()}
            for r in data.get("refused", [])
            if isinstance(r, dict)
        ]
        locks = {str(k): v for k, v in (data.get("locks") or {}).items() if isinstance(v, dict)}
        return Envelope(
            str(data["check"]), device if isinstance(device, str) else None, wraps, refused, locks
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise StoreError(
            _(
                "{path} is damaged or not an ffmot key file: put back the .keys file from your "
                "backup, or open the database with its recovery code",
                path=path,
            )
        ) from None


def write_envelope(db_path: Path, env: Envelope) -> None:
    """Atomically, owner-only: a crash leaves the old file or the new, never half of one."""
    path = keyfile(db_path)
    try:
        _write_private(path, env.to_json().encode("utf-8"))
    except OSError as e:
        raise StoreError(
            _(
                "cannot write {file} beside the database ({problem}): nothing was changed",
                file=path.name,
                problem=e.strerror,
            )
        ) from None


def _device_folder() -> Path:
    from ffmot.core.paths import config_dir

    return config_dir() / "keys"


def _write_private(path: Path, data: bytes) -> None:
    from ffmot.core.files import write_private

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private(path, data)


def _device_path(env: Envelope) -> Path | None:
    """Where the envelope says this computer account keeps the key: a name in the keys folder
    of the settings of whoever made it (kept whole, so a window or command run with other
    settings on the same account still finds it)."""
    if not env.device:
        return None
    path = Path(env.device)
    return path if path.is_absolute() else _device_folder() / path


def _read_device_key(env: Envelope) -> bytes | None:
    """The key in the device key file, only if it is this database's. The file is opened
    without following a link or waiting on a pipe, and only a small ordinary file is read:
    the path comes from a file anyone could have edited."""
    path = _device_path(env)
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 256:
            return None
        raw = bytes.fromhex(os.read(fd, 256).decode("ascii").strip())
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    return raw if len(raw) == KEY_BYTES and check_value(raw) == env.check else None


def _shred(path: Path) -> None:
    """Overwrites a small key file before removing it (on a disk that writes in place, the key
    is then gone; an SSD may keep an old copy, which is why the database's own key never
    changes hands this way once practitioners exist)."""
    try:
        size = path.stat().st_size
        with path.open("r+b") as f:
            f.write(b"\0" * size)
            f.flush()
            os.fsync(f.fileno())
        path.unlink()
    except OSError:
        pass


# --- opening -------------------------------------------------------------------------------------


def new_database_key(db_path: Path) -> bytes:
    """A new database's key, kept by this computer account until a data lead is made."""
    key = secrets.token_bytes(KEY_BYTES)
    write_envelope(db_path, Envelope(check_value(key), keep_on_device(key), []))
    remember(db_path, key)
    return key


def keep_on_device(key: bytes) -> str:
    """Writes the key to a new owner-only file in this account's keys folder; its path."""
    path = _device_folder().absolute() / (secrets.token_hex(16) + ".key")
    try:
        _write_private(path, key.hex().encode("ascii"))
    except OSError as e:
        raise StoreError(
            _(
                "cannot keep the database's key in {folder} ({problem}): nothing was changed",
                folder=path.parent,
                problem=e.strerror,
            )
        ) from None
    return str(path)


def key_for(db_path: Path) -> bytes:
    """The key of an encrypted database: unlocked in this process, or kept by this computer
    account for an open database. Raises Locked (sign in) or StoreError (no key file)."""
    key = _remembered(db_path)
    env = read_envelope(db_path)
    if key is not None and (env is None or check_value(key) == env.check):
        return key  # (a file's number can be reused after a deletion: its .keys decides)
    if env is None:
        raise Locked(
            _(
                "{path} is encrypted and the file holding its keys ({file}) is not beside it: "
                "put that file back from your backup, or open the database with its recovery "
                "code ('ffmot db recover')",
                path=db_path,
                file=keyfile(db_path).name,
            ),
            db_path,
        )
    key = _read_device_key(env)
    if key is None:
        raise Locked(
            _(
                "{path} is encrypted and locked: sign in with your name and PIN (in the app, "
                "or --user NAME on the command line)",
                path=db_path,
            ),
            db_path,
        )
    remember(db_path, key)
    return key


# --- practitioners' seals ------------------------------------------------------------------------


def _who(env: Envelope, folded_name: str) -> str:
    return hmac.new(env.check.encode(), folded_name.encode("utf-8"), hashlib.sha256).hexdigest()


def _kek(secret: str, salt: bytes, cost: dict[str, int]) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        secret.encode("utf-8"),
        salt,
        time_cost=int(cost["t"]),
        memory_cost=int(cost["m"]),
        parallelism=int(cost["p"]),
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def seal(db_path: Path, key: bytes, folded_name: str, secret: str) -> None:
    """Lets this practitioner's PIN unlock the database (replacing any seal they had)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    env = read_envelope(db_path)
    if env is None or check_value(key) != env.check:
        raise StoreError(_("{file} does not belong to this database", file=keyfile(db_path).name))
    who = _who(env, folded_name)
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    box = AESGCM(_kek(secret, salt, KDF)).encrypt(nonce, key, who.encode())
    wrap = {"who": who, "kdf": "argon2id", **KDF, "salt": _b64(salt), "nonce": _b64(nonce),
            "box": _b64(box)}  # fmt: skip
    env.wraps = [w for w in env.wraps if w.get("who") != who] + [wrap]
    write_envelope(db_path, env)


REFUSED_WORDS = N_(
    "that name and PIN do not match a practitioner who may sign in here. Check both and try "
    "again, or ask your data lead"
)


def unseal(
    db_path: Path,
    folded_name: str,
    secret: str,
    station: str = "",
    lock_after: int = 5,
    lock_minutes: int = 15,
) -> bytes:
    """The key, from this practitioner's name and PIN; remembered for the file. A refusal is
    kept in the `.keys` file for the audit, and `lock_after` wrong PINs in a row lock the name
    for `lock_minutes` (the same words either way: a guesser learns nothing). That stops a
    guesser at the app; one who copies the files is slowed only by Argon2id (see the notes)."""
    import datetime as dt

    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    env = read_envelope(db_path)
    if env is None:
        key_for(db_path)  # says what is missing
        raise Locked(_("{path} cannot be unlocked", path=db_path), db_path)
    now = dt.datetime.now(dt.UTC)
    who = _who(env, folded_name)
    wrap = next((w for w in env.wraps if w.get("who") == who), None)
    lock = env.locks.get(who, {})
    until = _when(lock.get("until"))
    detail = "wrong PIN"
    try:
        if until is not None and until > now:
            detail = "locked"
            _kek(secret or "x", b"\0" * 16, KDF)  # the same work as a real check: no timing tell
            raise InvalidTag
        if wrap is None:
            detail = "no such practitioner"
            _kek(secret or "x", b"\0" * 16, KDF)
            raise InvalidTag
        kek = _kek(secret, base64.b64decode(wrap["salt"]), wrap)
        box = base64.b64decode(wrap["box"])
        key = AESGCM(kek).decrypt(base64.b64decode(wrap["nonce"]), box, who.encode())
    except (InvalidTag, KeyError, ValueError, TypeError):
        if detail == "wrong PIN":
            failures = int(lock.get("failures", 0)) + 1
            detail = f"wrong PIN ({failures} in a row)"
            lock = {"failures": failures}
            if failures >= lock_after:
                until = now + dt.timedelta(minutes=lock_minutes)
                lock = {"failures": 0, "until": until.isoformat()}
                detail += f"; locked for {lock_minutes} minutes"
            env.locks[who] = lock
        refusal = {"who": who if wrap is not None else "", "at": now.isoformat()}
        env.refused.append({**refusal, "station": station, "detail": detail})
        write_envelope(db_path, env)
        raise KeyRefused(_(REFUSED_WORDS)) from None
    if check_value(key) != env.check:
        raise KeyRefused(_("{file} does not belong to this database", file=keyfile(db_path).name))
    if who in env.locks:
        del env.locks[who]
        write_envelope(db_path, env)
    remember(db_path, key)
    return key


def _when(text: object) -> Any:
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def take_refusals(db_path: Path, folded_names: dict[str, str]) -> list[dict[str, str]]:
    """The sign-ins refused before the database was unlocked, each with the practitioner's
    name where it was one (`folded_names`: fold -> name), removed from the `.keys` file: the
    caller writes them into the audit in the same breath."""
    env = read_envelope(db_path)
    if env is None or not env.refused:
        return []
    names = {_who(env, f): n for f, n in folded_names.items()}
    taken = [{**r, "name": names.get(r.get("who", ""), "")} for r in env.refused]
    env.refused = []
    write_envelope(db_path, env)
    return taken


def remove_seal(db_path: Path, folded_name: str) -> None:
    """Removes a practitioner's seal (they were disabled): their PIN no longer opens the file."""
    env = read_envelope(db_path)
    if env is None:
        return
    who = _who(env, folded_name)
    kept = [w for w in env.wraps if w.get("who") != who]
    if len(kept) != len(env.wraps):
        env.wraps = kept
        write_envelope(db_path, env)


def has_seal(db_path: Path, folded_name: str) -> bool:
    env = read_envelope(db_path)
    return env is not None and any(w.get("who") == _who(env, folded_name) for w in env.wraps)


def drop_device_key(db_path: Path) -> None:
    """Once a data lead has a seal, the computer account no longer holds the key."""
    env = read_envelope(db_path)
    if env is None or env.device is None:
        return
    if not env.wraps:
        raise StoreError(_("the database would be left with no way to unlock it"))
    path = _device_path(env)
    held = _read_device_key(env)  # only a file that holds this very key is overwritten
    env.device = None
    write_envelope(db_path, env)
    if path is not None and held is not None:
        _shred(path)


def is_open_to_device(db_path: Path) -> bool:
    """An encrypted database whose key this computer account keeps (no data lead yet)."""
    try:
        env = read_envelope(db_path)
    except StoreError:
        return False
    return env is not None and env.device is not None


# --- the recovery code ---------------------------------------------------------------------------


def recovery_code(key: bytes) -> str:
    """The key as 13 groups of four letters and digits (a 32-letter alphabet: 5 bits each)."""
    bits = int.from_bytes(key, "big")
    chars = []
    for _unused in range(52):  # 260 bits: the key's 256 and 4 to spare
        chars.append(RECOVERY_ALPHABET[bits & 31])
        bits >>= 5
    text = "".join(reversed(chars))
    return "-".join(text[i : i + 4] for i in range(0, 52, 4))


def key_from_recovery(code: str) -> bytes:
    clean = "".join(ch for ch in code.upper() if ch.isalnum())
    clean = clean.replace("O", "0").replace("I", "1")
    if len(clean) != 52 or any(ch not in RECOVERY_ALPHABET for ch in clean):
        raise KeyRefused(
            _(
                "that is not a recovery code: it is 13 groups of four letters and digits, as "
                "printed when the data lead was made"
            )
        )
    bits = 0
    for ch in clean:
        bits = (bits << 5) | RECOVERY_ALPHABET.index(ch)
    if bits >> (KEY_BYTES * 8):
        raise KeyRefused(_("that recovery code has a mistake in it: check each group"))
    return bits.to_bytes(KEY_BYTES, "big")


def recover(db_path: Path, code: str) -> bytes:
    """The key from the recovery code, checked against the `.keys` file when there is one (with
    none, the database itself is the check when it is opened); remembered for the file."""
    key = key_from_recovery(code)
    env = read_envelope(db_path)
    if env is not None and check_value(key) != env.check:
        raise KeyRefused(_("that recovery code is not this database's: check each group"))
    remember(db_path, key)
    return key


def rebuild_envelope(db_path: Path, key: bytes) -> None:
    """A new `.keys` file for a database opened by its recovery code after its own was lost:
    practitioners then need new PINs from a data lead, who signs in with the recovery code."""
    write_envelope(db_path, Envelope(check_value(key), None, []))


# --- drafts ----------------------------------------------------------------------------------


def _draft_key(database_key: bytes) -> bytes:
    return hmac.new(database_key, b"ffmot drafts", hashlib.sha256).digest()


def seal_draft(database_key: bytes, text: str) -> str:
    """A draft of an entry being typed, sealed (AES-256-GCM) with a key derived from the
    database's: as unreadable on disk as the database, and opened only once it is unlocked."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    box = AESGCM(_draft_key(database_key)).encrypt(nonce, text.encode("utf-8"), b"ffmot draft")
    return base64.b64encode(nonce + box).decode("ascii")


def open_draft(database_key: bytes, sealed: object) -> str | None:
    """The draft's text, or None if it is not this database's (or damaged)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not isinstance(sealed, str):
        return None
    try:
        raw = base64.b64decode(sealed)
        text = AESGCM(_draft_key(database_key)).decrypt(raw[:12], raw[12:], b"ffmot draft")
        return text.decode("utf-8")
    except (InvalidTag, ValueError):
        return None
