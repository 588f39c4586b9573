"""The one check every service makes before it reads or changes what a role governs.

On a protected database (one with named practitioners) the actor must be a practitioner who
signed in (their id, set only by services/practitioners.sign_in) and is still active, and the
role the database holds for them must allow the action (resources/access.toml). On an open
database everything is allowed, as before practitioners existed; the app and the command line
say so. Kept apart from practitioners.py so the record services can ask without a circle.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ffmot.core import access
from ffmot.core.i18n import _
from ffmot.services.types import Actor
from ffmot.store.db import Database
from ffmot.store.models import Practitioner


def protected(s: Session) -> bool:
    return s.scalar(select(Practitioner.id).limit(1)) is not None


def permit(s: Session, actor: Actor, action: str) -> None:
    """Raises NotAllowed, in words, unless the action is allowed (see the module's notes)."""
    if not protected(s):
        return
    p = s.get(Practitioner, actor.practitioner_id) if actor.practitioner_id else None
    if p is None or p.disabled_at is not None:
        raise access.NotAllowed(
            _(
                "{action} needs a practitioner signed in with their own name and PIN: this "
                "database has named practitioners",
                action=_(access.rules().actions.get(action, action)),
            )
        )
    access.require(p.name, p.role, action)


def check(db: Database, actor: Actor, action: str) -> None:
    """`permit` in a transaction of its own, for work that checks before it starts."""
    with db.transaction() as s:
        permit(s, actor, action)
