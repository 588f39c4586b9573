"""Who may do what: practitioners' roles and the rules for their PINs, from
resources/access.toml (rules for the information-governance lead to review, not code).

Pure: no database and no Qt. The store keeps practitioners; ffmot/services/practitioners.py
signs them in and checks what they ask for against these rules.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ffmot.core.errors import FfmotError, InputError
from ffmot.core.i18n import _, _n
from ffmot.core.paths import resources_dir


class NotAllowed(FfmotError):
    """The signed-in practitioner's role does not allow this; the message says who may."""


@dataclass(frozen=True)
class Policy:
    secret_min_length: int
    lock_after_failures: int
    lock_minutes: int
    idle_lock_minutes: int


@dataclass(frozen=True)
class Rules:
    roles: tuple[str, ...]  # least to most trusted, as listed
    labels: dict[str, str]
    may: dict[str, frozenset[str]]  # role -> every action it may do, included roles' too
    actions: dict[str, str]  # action -> its words
    policy: Policy


def _load(path: Path) -> Rules:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise FfmotError(
            _("cannot read the access rules {path}: {problem}", path=path, problem=e)
        ) from None
    try:
        roles = raw["roles"]
        actions = {str(k): str(v) for k, v in raw["actions"].items()}
        p = raw["policy"]
        policy = Policy(
            int(p["secret_min_length"]),
            int(p["lock_after_failures"]),
            int(p["lock_minutes"]),
            int(p["idle_lock_minutes"]),
        )
        own = {name: set(map(str, r["may"])) for name, r in roles.items()}
        includes = {name: list(map(str, r.get("includes", []))) for name, r in roles.items()}
        labels = {name: str(r["label"]) for name, r in roles.items()}
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise FfmotError(
            _("the access rules {path} are incomplete: {problem}", path=path, problem=e)
        ) from None
    may: dict[str, frozenset[str]] = {}

    def gather(role: str, seen: tuple[str, ...]) -> set[str]:
        if role in seen:
            raise FfmotError(
                _("the access rules {path}: role {role} includes itself", path=path, role=role)
            )
        if role not in own:
            raise FfmotError(
                _("the access rules {path}: no role called {role}", path=path, role=role)
            )
        found = set(own[role])
        for inner in includes[role]:
            found |= gather(inner, (*seen, role))
        return found

    for role in own:
        may[role] = frozenset(gather(role, ()))
        unknown = may[role] - set(actions)
        if unknown:
            raise FfmotError(
                _(
                    "the access rules {path}: {role} may do unknown {actions}",
                    path=path,
                    role=role,
                    actions=sorted(unknown),
                )
            )
    return Rules(tuple(roles), labels, may, actions, policy)


@cache
def rules() -> Rules:
    return _load(resources_dir() / "access.toml")


def check_role(role: str) -> str:
    r = rules()
    if role not in r.roles:
        raise InputError(
            _("no role called '{role}': use one of {roles}", role=role, roles=", ".join(r.roles))
        )
    return role


def may(role: str, action: str) -> bool:
    return action in rules().may.get(role, frozenset())


def require(who: str, role: str, action: str) -> None:
    """Raises NotAllowed, in words, unless `role` may do `action`."""
    r = rules()
    if action not in r.actions:
        raise ValueError(f"unknown action {action!r}")  # a programming mistake, not a user's
    if may(role, action):
        return
    # The roles' and actions' words are in resources/access.toml, looked up where they are said.
    allowed = [_(r.labels[x]) for x in r.roles if action in r.may[x]]
    either = allowed[0] if allowed else ""
    for label in allowed[1:]:
        either = _("{roles} or {role}", roles=either, role=label)
    label = _(r.labels[role]) if role in r.labels else _("a practitioner with no role")
    raise NotAllowed(
        _(
            "{name} is signed in as a {role}: {action} needs a {roles}. Ask one of them to sign in",
            name=who,
            role=label,
            action=_(r.actions[action]),
            roles=either,
        )
    )


def check_secret(secret: str) -> str:
    """A new PIN or password, held to the rules; returned as given."""
    n = rules().policy.secret_min_length
    if len(secret) < n:
        raise InputError(
            _n(
                "a PIN or password needs at least {count} character",
                "a PIN or password needs at least {count} characters",
                n,
            )
        )
    if secret.isdigit() and len(set(secret)) == 1:
        raise InputError(_("a PIN of one digit repeated is too easy to guess: choose another"))
    if secret.isdigit() and (secret in "01234567890" or secret in "9876543210"):
        raise InputError(_("a PIN of digits in a row is too easy to guess: choose another"))
    if secret != secret.strip() or any(ord(c) < 32 for c in secret):
        raise InputError(_("a PIN or password cannot start or end with a space or hold controls"))
    return secret
