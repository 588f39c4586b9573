"""Participants, consent, MOT days, visits, screening and results.

Why one room: every save passes the same checks (permission, consent to keep results, screening,
versions) inside one transaction helper. A split waiting: participants and consent, MOT days, and
results could each be a module over those shared checks.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ffmot.core import chain, codes, entry, i18n, lineage, screening, units
from ffmot.core import text as textrules
from ffmot.core.ages import age_on, age_or_zero, typed_date
from ffmot.core.battery import STOP_REASONS, TestDef
from ffmot.core.errors import InputError
from ffmot.core.i18n import ENGLISH, N_, _
from ffmot.core.names import fold, words
from ffmot.core.norms import NormSet, default_norm_set
from ffmot.core.scoring import bmi, counted_value
from ffmot.core.vocabulary import PURPOSES, SEXES
from ffmot.services.permits import permit
from ffmot.services.types import (
    Actor,
    AssessmentInfo,
    ConsentState,
    EventInfo,
    Measurements,
    ParticipantInfo,
    ParticipantRow,
    ResultInfo,
    ScreeningInfo,
    TrialInfo,
)
from ffmot.store.db import Database, explain
from ffmot.store.errors import ConflictError, StoreError
from ffmot.store.models import (
    NOT_DONE_REASONS,
    Assessment,
    AuditEntry,
    AuditHead,
    Consent,
    Event,
    NameWord,
    Participant,
    Result,
    Screening,
    Trial,
    name_word_rows,
    new_id,
    utcnow,
)

MAX_NAME = 100
MAX_NOTES = 4000  # notes and goals: a few paragraphs


def audit(
    s: Session, actor: Actor, action: str, entity: str, entity_id: str = "", detail: str = ""
) -> None:
    """Adds an audit entry to the session's transaction, as the next link of the audit's hash
    chain (ffmot/core/chain.py). `detail` must hold no personal data.

    The chain's head row is updated first, which takes its lock: two stations writing at once
    on a shared server take turns for that moment, so the chain never forks."""
    head_table = AuditHead.__table__
    assert isinstance(head_table, Table)
    taken = s.execute(
        update(head_table)
        .where(head_table.c.id == 1)
        .values(seq=head_table.c.seq + 1)
        .returning(head_table.c.seq, head_table.c.link)
    ).first()
    if taken is None:  # a database whose chain has not begun: it begins here
        s.execute(insert(head_table).values(id=1, seq=1, link=chain.START))
        seq, previous = 1, chain.START
    else:
        seq, previous = taken
    e = chain.Entry(
        seq,
        new_id(),
        utcnow(),
        actor.name,
        actor.station,
        action,
        entity,
        chain.entity_key(entity_id),
        _storable(detail),
    )
    link = chain.link(previous, e)
    s.execute(update(head_table).where(head_table.c.id == 1).values(link=link))
    s.add(
        AuditEntry(
            id=e.id,
            at=e.at,
            actor=e.actor,
            station=e.station,
            action=action,
            entity=entity,
            entity_id=entity_id,
            entity_key=e.entity_key,
            detail=e.detail,
            seq=seq,
            link=link,
        )
    )


def record_given_out(
    db: Database, actor: Actor, action: str, entity: str, entity_id: str, detail: str
) -> None:
    """Something taken out of the database (a sheet saved as a PDF, a list of people shown):
    audited, so the data lead knows what left and where, and can have it deleted."""
    with db.transaction() as s:
        audit(s, actor, action, entity, entity_id, detail)


def _storable(text: str) -> str:
    """Text every database takes: a file name in bytes that are not UTF-8 (kept by Python as
    lone surrogates) is written with '?' in their place."""
    return text.encode("utf-8", "replace").decode("utf-8")


# --- participants ---------------------------------------------------------------------------


# `what` below names the field in English, marked with N_() where it is written: it is
# translated here, once, for the message.


def _clean_name(text: str, what: str) -> str:
    t = textrules.line(text, MAX_NAME, _(what))
    if not t:
        raise InputError(_("the {what} is empty", what=_(what)))
    return t


def _clean_optional(text: str | None, limit: int, what: str) -> str | None:
    return textrules.line(text or "", limit, _(what)) or None


def clean_notes(text: str, what: str = N_("notes")) -> str:
    return textrules.block(text, MAX_NOTES, _(what))


def _check_dob(dob: dt.date, today: dt.date | None = None) -> None:
    today = today or dt.date.today()
    if dob > today:
        raise InputError(_("the date of birth {date} is in the future", date=dob.isoformat()))
    age_on(dob, today)  # refuses impossible ages


def _postcode_district(text: str | None) -> str | None:
    t = (text or "").strip().upper()
    if not t:
        return None
    if not re.fullmatch(r"[A-Z]{1,2}[0-9][0-9A-Z]?", t):
        raise InputError(
            _(
                "'{value}' is not a postcode district: give the first half only, like CA12 or LA9",
                value=text,
            )
        )
    return t


def _participant_info(p: Participant) -> ParticipantInfo:
    latest: dict[str, ConsentState] = {}
    for c in sorted(p.consents, key=lambda c: (c.recorded_at, c.id)):
        latest[c.purpose] = ConsentState(c.purpose, c.granted, c.recorded_at, c.recorded_by)
    return ParticipantInfo(
        p.id,
        p.code,
        p.given_name,
        p.family_name,
        p.date_of_birth,
        p.sex,
        p.phone,
        p.email,
        p.postcode_district,
        p.notes,
        p.version,
        latest,
        p.language,
    )


def _unique_code(s: Session) -> str:
    for _attempt in range(50):
        code = codes.new_code()
        if s.scalar(select(Participant.id).where(Participant.code == code)) is None:
            return code
    raise StoreError(_("could not find a free participant code; try again"))


def register_participant(
    db: Database,
    actor: Actor,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    sex: str,
    *,
    phone: str | None = None,
    email: str | None = None,
    postcode_district: str | None = None,
    notes: str = "",
    consents: dict[str, bool] | None = None,
    participant_id: str | None = None,
    language: str = ENGLISH,
) -> ParticipantInfo:
    """A new participant, whose sheet is made in `language`. `participant_id` is the
    registration's own id, made by the caller before the first attempt and given again on a
    retry: if an attempt was saved but its answer lost (a network drop), the retry returns that
    person instead of a second one."""
    given = _clean_name(given_name, N_("given name"))
    family = _clean_name(family_name, N_("family name"))
    if sex not in SEXES:
        raise InputError(_("sex must be one of {choices}", choices=", ".join(SEXES)))
    _check_dob(date_of_birth)
    i18n.check_language(language)
    if participant_id is not None:
        again = _registered_already(db, participant_id, given, family, date_of_birth, sex)
        if again is not None:
            return again
    try:
        return _register(
            db,
            actor,
            given,
            family,
            date_of_birth,
            sex,
            phone=phone,
            email=email,
            postcode_district=postcode_district,
            notes=notes,
            consents=consents,
            participant_id=participant_id,
            language=language,
        )
    except IntegrityError:
        # The same registration saved meanwhile (two attempts at once): that person.
        again = None
        if participant_id is not None:
            again = _registered_already(db, participant_id, given, family, date_of_birth, sex)
        if again is None:
            raise
        return again


def _registered_already(
    db: Database, participant_id: str, given: str, family: str, dob: dt.date, sex: str
) -> ParticipantInfo | None:
    with db.transaction() as s:
        p = s.get(Participant, participant_id, options=[selectinload(Participant.consents)])
        if p is None:
            return None
        if (p.given_name, p.family_name, p.date_of_birth, p.sex) != (given, family, dob, sex):
            raise InputError(
                _(
                    "this registration was already saved with other details: search for the "
                    "person, or clear the form and register them again"
                )
            )
        return _participant_info(p)


def _register(
    db: Database,
    actor: Actor,
    given: str,
    family: str,
    date_of_birth: dt.date,
    sex: str,
    *,
    phone: str | None,
    email: str | None,
    postcode_district: str | None,
    notes: str,
    consents: dict[str, bool] | None,
    participant_id: str | None,
    language: str,
) -> ParticipantInfo:
    with db.transaction() as s:
        permit(s, actor, "check_in")
        p = Participant(
            id=participant_id or new_id(),
            code=_unique_code(s),
            given_name=given,
            family_name=family,
            date_of_birth=date_of_birth,
            sex=sex,
            phone=_clean_optional(phone, 40, N_("phone number")),
            email=_clean_optional(email, 200, N_("email address")),
            postcode_district=_postcode_district(postcode_district),
            notes=clean_notes(notes),
            language=language,
            lineage=lineage.bump(None, actor.station),
        )
        s.add(p)
        s.flush()
        index_names(s, p.id, p.given_name, p.family_name)
        audit(s, actor, "create", "participant", p.id)
        for purpose, granted in (consents or {}).items():
            _add_consent(s, actor, p.id, purpose, granted)
        s.flush()
        s.refresh(p)
        return _participant_info(p)


def update_participant(
    db: Database, actor: Actor, participant_id: str, expected_version: int, **changes: object
) -> ParticipantInfo:
    allowed = {
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "phone",
        "email",
        "postcode_district",
        "notes",
        "language",
    }
    bad = set(changes) - allowed
    if bad:
        raise InputError(_("cannot change {fields}", fields=", ".join(sorted(bad))))
    with _saving(db) as s:
        permit(s, actor, "correct_details")
        p = s.get(Participant, participant_id)
        if p is None:
            raise StoreError(_("that participant is no longer in the database (erased?)"))
        _expect(p.version, expected_version, _("this participant's details"))
        for key, value in changes.items():
            if key in ("given_name", "family_name"):
                assert isinstance(value, str)
                value = _clean_name(value, _NAME_FIELDS[key])
            elif key == "sex" and value not in SEXES:
                raise InputError(_("sex must be one of {choices}", choices=", ".join(SEXES)))
            elif key == "date_of_birth":
                assert isinstance(value, dt.date)
                _check_dob(value)
            elif key == "postcode_district":
                value = _postcode_district(value if isinstance(value, str) else None)
            elif key == "phone":
                value = _clean_optional(value if isinstance(value, str) else None, 40, N_("phone"))
            elif key == "email":
                value = _clean_optional(value if isinstance(value, str) else None, 200, N_("email"))
            elif key == "notes":
                value = clean_notes(value if isinstance(value, str) else "")
            elif key == "language":
                value = i18n.check_language(str(value))
            setattr(p, key, value)
        p.updated_at = utcnow()
        p.lineage = lineage.bump(p.lineage, actor.station)
        index_names(s, p.id, p.given_name, p.family_name)
        audit(s, actor, "update", "participant", p.id, ", ".join(sorted(changes)))
        s.flush()
        return _participant_info(p)


_NAME_FIELDS = {"given_name": N_("given name"), "family_name": N_("family name")}


def likely_duplicates(
    db: Database, given: str, family: str, dob: dt.date, today: dt.date | None = None
) -> list[ParticipantRow]:
    """People already here who may be the one being registered: the same date of birth and a
    name that shares a word (folded) with the new one."""
    new = words(given, family)
    if not new:
        return []
    with db.transaction() as s:
        ids = list(
            s.scalars(
                select(Participant.id)
                .where(Participant.date_of_birth == dob)
                .where(
                    Participant.id.in_(
                        select(NameWord.participant_id).where(
                            NameWord.later.in_([False, True]), NameWord.word.in_(sorted(new))
                        )
                    )
                )
                .order_by(Participant.search_family, Participant.search_given)
            )
        )
    today = today or dt.date.today()
    out = []
    for pid in ids:
        p = get_participant(db, pid)
        out.append(
            ParticipantRow(p.id, p.code, p.name, p.date_of_birth, age_or_zero(dob, today), None)
        )
    return out


def _name_starts(t: str, walked: bool = False) -> ColumnElement[bool]:
    """A word of the names starts with `t`. `walked`: written so that no index answers it (a
    column `|| ''`, a correlated EXISTS): tested person by person along another index (see
    `_in_order`)."""
    if len(t) < 2:
        return or_(
            *(
                _starts_with(column.op("||")(literal("")) if walked else column, t)
                for column in (Participant.search_given, Participant.search_family)
            )
        )
    if walked:  # a look-up of the person's own words (name_word's key)
        return exists().where(
            NameWord.participant_id == Participant.id, _starts_with(NameWord.word, t)
        )
    return Participant.id.in_(  # the word table holds first words too
        select(NameWord.participant_id).where(
            NameWord.later.in_([False, True]), _starts_with(NameWord.word, t)
        )
    )


def _first_letter_walked(letter: str) -> ColumnElement[bool]:
    """The given or family name starts with `letter`, written (`column || ''`) so SQLite's
    planner cannot answer it from those columns' own indexes: that leaves it one way to avoid
    sorting, walking ix_participant_search_order in the order shown and stopping at the limit
    (SQLite's documented way to steer its choice of index)."""
    return or_(
        *(
            _starts_with(column.op("||")(literal("")), letter)
            for column in (Participant.search_given, Participant.search_family)
        )
    )


def _has_date(text: str) -> bool:
    return any(typed_date(t) is not None for t in text.split())


FEW = 30_000  # people a word may start for the search to read them all from the word index


def _in_order(s: Session, text: str, limit: int, sqlite: bool) -> list[str]:
    """The ids of the first `limit` people, in the order shown, matching `text` (a word of
    two or more letters typed, no date of birth), without reading or sorting everyone it
    matches: at 200,000 people "ma" starts the names of tens of thousands. (Perhaps a few
    more: `_merged`.)

    With two or more words typed, the word starting fewest names is read from the name word
    index with everyone's other words, which are tested there (`_by_words`): "mary" and
    "sampl" each start thousands of names but both only a few dozen. When every word is too
    common for that, or one word is typed, `_walked_lists` reads each way of matching in the
    order shown."""
    if len(fold(text).split()) > 1:  # (one word of two letters or more: see _has_date)
        found = _by_words(s, text, limit, sqlite)
        if found is not None:
            return found
    return _walked_lists(s, text, limit)


def _coded(s: Session, text: str) -> dict[str, list[str]]:
    """For each token typed that could start a code, everyone whose code it starts (a few:
    codes are unique), found in the code's index: tested as a list of ids, a row's code need
    not be read."""
    coded: dict[str, list[str]] = {}
    for token in text.split():
        if codes.looks_like_code(token):
            starts = _starts_with(Participant.code, codes.typed(token))
            coded[token] = list(s.scalars(select(Participant.id).where(starts)))
    return coded


def _any_word(table: Any, w: str) -> ColumnElement[bool]:
    """A word of the names starts with `w`: first words and later ones, two ranges of
    ix_name_word_order (which leads with `later`)."""
    return and_(table.later.in_([False, True]), _starts_with(table.word, w))


def _word_people(w: str) -> Select[str]:
    """Everyone `w` (two or more letters) starts a word of the names of."""
    return select(NameWord.participant_id).where(_any_word(NameWord, w))


def _by_words(s: Session, text: str, limit: int, sqlite: bool) -> list[str] | None:
    """The first `limit` people matching `text` (words typed, no date of birth), from the name
    word index alone; None when a word of one letter is typed, or every word starts the names
    of more than FEW people.

    The rule is `_typed`'s: each token typed matches when each of its words starts a word of
    the names, or when it starts the code. The word
    starting fewest names drives: its range of the index is read with each person's copy of
    their search columns and all their words, the other words tested there, the matches
    sorted. No one's row is read: a page from anywhere in the file per person. A token that
    could start a code also matches people by their code, who need not have the driver's
    word: a word of a token that cannot drives where there is one, else those few (codes are
    unique) are read and tested the same way."""
    typed = {w for token in text.split() for w in fold(token).split()}
    if min(map(len, typed)) == 1:
        return None  # one letter starts a tenth of everyone's names: walked, it stops sooner
    coded = _coded(s, text)
    plain = {w for token in text.split() if not coded.get(token) for w in fold(token).split()}
    best: tuple[bool, int, str] | None = None  # (could start a code, people, word)
    for w in sorted(typed, key=lambda w: (w not in plain, -len(w))):
        most = FEW if best is None else best[1]
        some = _word_people(w).limit(most + 1).subquery()
        n = s.scalar(select(func.count()).select_from(some)) or 0
        if n <= most and (best is None or (w not in plain, n) < best[:2]):
            best = (w not in plain, n, w)
    if best is None:
        return None
    driver = best[2]

    def rule(nw: Any, driven: bool) -> list[ColumnElement[bool]]:
        everything = literal(" ").op("||")(nw.search_words)
        out = []
        for token in text.split():
            names = [
                _holds(everything, " " + w, sqlite)
                for w in fold(token).split()
                if not (driven and w == driver)  # every person the driver gives has it
            ]
            both = and_(true(), *names)
            codes_ = coded.get(token)
            out.append(or_(both, nw.participant_id.in_(codes_)) if codes_ else both)
        return out

    nw = aliased(NameWord)
    key = (nw.search_family, nw.search_given, nw.participant_id)
    lists = [
        s.execute(
            select(*key)
            .where(_any_word(nw, driver), *rule(nw, True))
            .distinct()
            .order_by(*key)
            .limit(limit)
        ).all()
    ]
    # Everyone else matches the driver's token by its words, so has the driver's word.
    driver_tokens = [t for t in text.split() if driver in fold(t).split()]
    extra = sorted({pid for t in driver_tokens for pid in coded.get(t, [])})
    if extra:
        lists.append(
            s.execute(
                select(*key)
                .where(nw.participant_id.in_(extra), *rule(nw, False))
                .distinct()
                .order_by(*key)
                .limit(limit)
            ).all()
        )
    return _merged(lists, limit)


def _merged(lists: Sequence[Sequence[Any]], limit: int) -> list[str]:
    """The first `limit` people of lists each in the order shown (family, given, id), each
    once (a Sam Sampleton is in two lists), and past the `limit`th anyone with the same names
    as the last: the search's own query puts them in order and takes `limit`, breaking ties
    by id in the database's order (on PostgreSQL perhaps a language's, not Python's)."""
    out: dict[str, None] = {}
    last: tuple[str, str] | None = None
    for family, given, pid in heapq.merge(*(list(map(tuple, rows)) for rows in lists)):
        if len(out) >= limit and (family, given) != last:
            break
        out[pid] = None
        last = (family, given)
    return list(out)


def _walked_lists(s: Session, text: str, limit: int) -> list[str]:
    """The first `limit` people matching `text`, from lists each read in the order shown.

    Take the longest word typed. Everyone matching starts their family name with it, or their
    given name, or a later word of their names (name_word's `later`), or their code with the
    text it was typed in. Each of those is read in the order shown, at most `limit` people
    of each, through its own index: the family name's people along ix_participant_search_order;
    each given name starting with the word (found one index seek apiece) along
    ix_participant_given_order, where one given name's people are in that order; the later
    words' people from their own index (`_later`); the codes, which few share, found and
    sorted. Any other words typed are tested on each person read (`_typed(walked=True)`). The
    first `limit` of the lists merged are the first `limit` of everyone matching."""
    tokens = text.split()
    word = max(fold(text).split(), key=len)
    token = next(t for t in tokens if word in fold(t).split())
    # With one word typed, every person read below matches it: nothing more to test.
    one_word = fold(text).split() == [word]
    coded = _coded(s, text)
    walked = true() if one_word else _typed(text, walked=True, known=word, coded=coded)
    key = (Participant.search_family, Participant.search_given, Participant.id)
    family = _starts_with(Participant.search_family, word)
    lists = [s.execute(select(*key).where(family, walked).order_by(*key).limit(limit)).all()]
    given: str | None = None
    while True:  # each given name starting with the word: one index seek apiece
        after = Participant.search_given > given if given is not None else true()
        given = s.scalar(
            select(Participant.search_given)
            .where(_starts_with(Participant.search_given, word), after)
            .order_by(Participant.search_given)
            .limit(1)
        )
        if given is None:
            break
        lists.append(
            s.execute(
                select(*key)
                .where(Participant.search_given == given, walked)
                .order_by(Participant.search_family, Participant.id)
                .limit(limit)
            ).all()
        )
    if one_word:
        lists.append(_later(s, word, limit))
    else:  # other words to test on each person
        later = Participant.id.in_(
            select(NameWord.participant_id).where(
                NameWord.later.is_(True), _starts_with(NameWord.word, word)
            )
        )
        lists.append(s.execute(select(*key).where(later, walked).order_by(*key).limit(limit)).all())
    if coded.get(token):  # matched by code, so perhaps without `word`: every word tested
        by_code = Participant.id.in_(coded[token])
        every = _typed(text, walked=True, coded=coded)
        lists.append(
            s.execute(select(*key).where(by_code, every).order_by(*key).limit(limit)).all()
        )
    return _merged(lists, limit)


def _later(s: Session, word: str, limit: int) -> Sequence[Any]:
    """The first `limit` people, in the order shown, with a later word of their names starting
    with `word`: from name_word's own copy of their search columns, so from the index alone
    (looking up each person would read a page from anywhere in the file, and thousands may
    share the second part of a double-barrelled name)."""
    key = (NameWord.search_family, NameWord.search_given, NameWord.participant_id)
    return s.execute(
        select(*key)
        .where(NameWord.later.is_(True), _starts_with(NameWord.word, word))
        .distinct()  # (one person, two later words starting with it)
        .order_by(*key)
        .limit(limit)
    ).all()


def index_names(s: Session, participant_id: str, given: str, family: str) -> None:
    """The participant's name words for the search, replacing any before. (Name words are
    never loaded as objects, so the session is not searched for them: that search looked at
    every object the session holds, which made an import of thousands of people slow down
    with each person.)"""
    s.execute(
        delete(NameWord).where(NameWord.participant_id == participant_id),
        execution_options={"synchronize_session": False},
    )
    index_new_names(s, [(participant_id, given, family)])


def index_new_names(s: Session, people: Sequence[tuple[str, str, str]]) -> None:
    """The name words of people (id, given name, family name) who have none yet, in one
    statement: an import adds a batch of people at a time."""
    rows = [row for pid, given, family in people for row in name_word_rows(pid, given, family)]
    if rows:
        s.execute(insert(NameWord), rows)


def get_participant(
    db: Database, participant_id: str, seen_by: Actor | None = None
) -> ParticipantInfo:
    """A person's record. `seen_by`: a practitioner opening it to look at (the window's
    check-in): they must be allowed to see the day, and the view is audited."""
    with db.transaction() as s:
        if seen_by is not None:
            permit(s, seen_by, "view_day")
        p = s.get(Participant, participant_id, options=[selectinload(Participant.consents)])
        if p is None:
            raise StoreError(_("that participant is no longer in the database (erased?)"))
        if seen_by is not None:
            audit(s, seen_by, "view", "participant", p.id)
        return _participant_info(p)


def record_view(db: Database, actor: Actor, entity: str, entity_id: str, detail: str = "") -> None:
    """A practitioner looked at a record or a list of people (allowed to see the day): in the
    audit, with no personal data in its detail."""
    with db.transaction() as s:
        permit(s, actor, "view_day")
        audit(s, actor, "view" if entity_id else "list", entity, entity_id, detail)


def find_by_code(db: Database, text: str, seen_by: Actor | None = None) -> ParticipantInfo:
    """The person with this card code. `seen_by`: as for get_participant."""
    code = codes.normalise(text)
    with db.transaction() as s:
        if seen_by is not None:
            permit(s, seen_by, "view_day")
        p = s.scalar(
            select(Participant)
            .where(Participant.code == code)
            .options(selectinload(Participant.consents))
        )
        if p is None:
            raise InputError(_("no participant has the code {code}", code=codes.display(code)))
        if seen_by is not None:
            audit(s, seen_by, "view", "participant", p.id)
        return _participant_info(p)


def _starts_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, as a range its index can answer (LIKE 'x%' reads the
    whole table on SQLite, and on PostgreSQL under a language's collation). The columns
    searched are compared byte by byte on both (PostgreSQL's "C" collation, models._searched),
    so the range is exactly the prefix; they hold lower-case names and upper-case codes."""
    nxt = ord(prefix[-1]) + 1
    if nxt == 0xD800:  # no surrogates in a str bound for SQLite
        nxt = 0xE000
    if nxt > 0x10FFFF:
        return cast("ColumnElement[bool]", column.startswith(prefix))
    return and_(column >= prefix, column < prefix[:-1] + chr(nxt))


def _holds(column: Any, text: str, sqlite: bool) -> ColumnElement[bool]:
    """`text` is somewhere in `column` (SQLite's instr, PostgreSQL's strpos: no LIKE pattern
    to escape)."""
    return (func.instr if sqlite else func.strpos)(column, text) > 0


MANY = 2_000  # matches beyond which find-as-you-type walks its ordered index


def _typed(
    text: str,
    walked: bool = False,
    known: str | None = None,
    coded: dict[str, list[str]] | None = None,
) -> ColumnElement[bool]:
    """Every word typed must start a given or family name, or be the date of birth, or start
    the code. `walked`: as `_name_starts` (for text with no date of birth in it). `known`: a
    word typed that every person tested is known to have a word of their names start with
    (the list they were read from), so not tested again. `coded`: `_coded`'s people for each
    token, tested instead of the code."""
    conditions = []
    for token in text.split():
        d = typed_date(token)
        if d is not None:
            conditions.append(Participant.date_of_birth == d)
            continue
        folded = fold(token).split()
        if not folded:
            continue
        if known in folded:
            folded = [t for t in folded if t != known]
            if not folded:
                continue  # the token is matched
        # Each word typed must start a word of the names, accents aside. One letter matches
        # the start of the given or family name only (through their own indexes): "s" would
        # otherwise match a later word of thousands of names as each key is typed.
        name = and_(*(_name_starts(t, walked) for t in folded))
        if coded is not None:
            if coded.get(token):
                name = or_(name, Participant.id.in_(coded[token]))
        elif codes.looks_like_code(token):
            code = Participant.code.op("||")(literal("")) if walked else Participant.code
            name = or_(name, _starts_with(code, codes.typed(token)))
        conditions.append(name)
    return and_(true(), *conditions)


def _first_letter(
    s: Session, letter: str, where: ColumnElement[bool], sqlite: bool
) -> ColumnElement[bool]:
    """Who to show for one letter typed (`where`: their given or family name starts with it).

    Most letters start a tenth to a quarter of everyone's names, their given names spread
    through the order shown: the order's index is best walked, stopping at the limit, rather
    than every match sorted. A letter starting few names ("q", a digit of a date) would walk
    the whole index to find them: they are best found through the names' own indexes and
    sorted. PostgreSQL's statistics of the columns tell the two apart (the columns compare
    byte by byte, so a range's share is read off their histograms). SQLite has none: the
    matches are counted up to MANY through the names' indexes, and the order's index walked
    if there are that many (`_first_letter_walked`)."""
    if not sqlite:
        return where
    some = select(Participant.id).where(where).limit(MANY).subquery()
    many = (s.scalar(select(func.count()).select_from(some)) or 0) >= MANY
    return _first_letter_walked(letter) if many else where


def search_participants(
    db: Database, text: str = "", limit: int = 50, today: dt.date | None = None
) -> list[ParticipantRow]:
    """Find as you type: every word must start a given or family name, or be the date of birth
    or the start of the code."""
    today = today or dt.date.today()
    sqlite = db.kind == "sqlite"
    where = _typed(text)
    # The last visit of only the rows shown (one index look-up each), not of everyone.
    last = (
        select(func.max(Assessment.assessed_on))
        .where(Assessment.participant_id == Participant.id)
        .correlate(Participant)
        .scalar_subquery()
    )

    def shown(condition: ColumnElement[bool]) -> Select[str, str, str, str, dt.date, dt.date]:
        return (
            select(
                Participant.id,
                Participant.code,
                Participant.given_name,
                Participant.family_name,
                Participant.date_of_birth,
                last.label("last"),
            )
            .where(condition)
            .order_by(Participant.search_family, Participant.search_given, Participant.id)
            .limit(limit)
        )

    with db.transaction() as s:
        q = shown(where)
        letter = fold(text).strip()
        if max(map(len, letter.split()), default=0) > 1 and not _has_date(text):
            order = _in_order(s, text, limit, sqlite)
            q = shown(Participant.id.in_(order))
        elif len(letter) == 1 and not codes.looks_like_code(text):
            q = shown(_first_letter(s, letter, where, sqlite))
        rows = s.execute(q).all()
    return [
        ParticipantRow(
            r.id,
            r.code,
            f"{r.given_name} {r.family_name}",
            r.date_of_birth,
            age_or_zero(r.date_of_birth, today),
            r.last,
        )
        for r in rows
    ]


# --- consent --------------------------------------------------------------------------------


def _add_consent(
    s: Session, actor: Actor, participant_id: str, purpose: str, granted: bool
) -> None:
    if purpose not in PURPOSES:
        raise InputError(
            _(
                "unknown consent purpose '{purpose}': use {purposes}",
                purpose=purpose,
                purposes=", ".join(PURPOSES),
            )
        )
    s.add(
        Consent(
            participant_id=participant_id, purpose=purpose, granted=granted, recorded_by=actor.name
        )
    )
    audit(s, actor, "consent" if granted else "withdraw", "participant", participant_id, purpose)


def record_consent(
    db: Database, actor: Actor, participant_id: str, purpose: str, granted: bool
) -> ParticipantInfo:
    """Records a decision about one purpose. A withdrawal is recorded the same way."""
    with db.transaction() as s:
        permit(s, actor, "check_in")
        if s.get(Participant, participant_id) is None:
            raise StoreError(_("that participant is no longer in the database (erased?)"))
        _add_consent(s, actor, participant_id, purpose, granted)
    return get_participant(db, participant_id)


# --- MOT days -------------------------------------------------------------------------------


def _event_info(e: Event, participants: int) -> EventInfo:
    return EventInfo(
        e.id,
        e.name,
        e.date,
        e.venue,
        e.organisation,
        tuple(e.tests_offered),
        e.norm_set_version,
        e.activities_directory,
        e.training,
        participants,
        e.version,
    )


def create_event(
    db: Database,
    actor: Actor,
    name: str,
    date: dt.date,
    venue: str = "",
    organisation: str = "",
    *,
    tests_offered: Sequence[str] | None = None,
    activities_directory: str = "",
    training: bool = False,
    norms: NormSet | None = None,
) -> EventInfo:
    ns = norms or default_norm_set()
    tests = (
        list(tests_offered)
        if tests_offered is not None
        else [t.id for t in ns.battery.values() if t.offered]
    )
    for t in tests:
        ns.test(t)
    if not tests:
        raise InputError(_("an MOT day needs at least one test"))
    with db.transaction() as s:
        permit(s, actor, "manage_days")
        e = Event(
            name=_clean_name(name, N_("name of the MOT day")),
            date=date,
            venue=textrules.line(venue, 200, _("venue")),
            organisation=textrules.line(organisation, 200, _("organisation")),
            tests_offered=tests,
            norm_set_version=ns.version,
            activities_directory=activities_directory,
            training=training,
        )
        s.add(e)
        s.flush()
        audit(s, actor, "create", "event", e.id)
        return _event_info(e, 0)


def list_events(db: Database) -> list[EventInfo]:
    counts = (
        select(Assessment.event_id, func.count().label("n"))
        .group_by(Assessment.event_id)
        .subquery()
    )
    with db.transaction() as s:
        rows = s.execute(
            select(Event, counts.c.n)
            .outerjoin(counts, counts.c.event_id == Event.id)
            .order_by(Event.date.desc(), Event.name)
        ).all()
        return [_event_info(e, n or 0) for e, n in rows]


def get_event(db: Database, event_id: str) -> EventInfo:
    """An MOT day by its id, or by the first 4 or more characters shown by 'ffmot events'.

    Looked up by its key (the id, or the id's start), with its visits counted for that day
    alone: a sheet, a visit, a day's export and the summary each ask for one day, and listing
    every day with every day's count cost them time in proportion to the whole database."""
    wanted = event_id.strip().lower()
    if len(wanted) >= 4:
        with db.transaction() as s:
            found = s.get(Event, wanted)
            matches = [found] if found is not None else []
            if not matches:
                start = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                matches = list(
                    s.scalars(
                        select(Event)
                        .where(Event.id.like(start + "%", escape="\\"))
                        .order_by(Event.id)
                        .limit(2)
                    )
                )
            if len(matches) == 1:
                e = matches[0]
                n = s.scalar(select(func.count()).where(Assessment.event_id == e.id))
                return _event_info(e, n or 0)
        if len(matches) > 1:
            raise InputError(
                _("more than one MOT day starts with {id}: give more of the id", id=event_id)
            )
    raise InputError(_("no MOT day has the id {id} (see 'ffmot events')", id=event_id))


# --- visits ---------------------------------------------------------------------------------


def _result_info(r: Result) -> ResultInfo:
    return ResultInfo(
        r.id,
        r.test_id,
        r.done,
        r.reason,
        r.value,
        r.unit,
        tuple(TrialInfo(t.n, t.value, t.unit, t.label) for t in r.trials),
        tuple(r.modifications or ()),
        r.recorded_by,
        r.station,
        r.recorded_at,
        r.version,
        r.stop_reason,
    )


def _screening_info(sc: Screening, ns_tests: Sequence[str]) -> ScreeningInfo:
    answers = {
        k: v
        for k, v in screening.upgrade_answers(sc.answers).items()
        if k in screening.QUESTION_IDS
    }
    bp = sc.systolic is not None and sc.diastolic is not None
    outcome = screening.assess(
        answers, sc.systolic if bp else None, sc.diastolic if bp else None, tuple(ns_tests)
    )
    return ScreeningInfo(
        sc.outcome,
        outcome.reasons,
        tuple(sc.excluded_tests),
        {k: v for k, v in answers.items() if v is not None},
        sc.systolic,
        sc.diastolic,
        sc.recorded_at,
        sc.recorded_by,
        outcome.unanswered,
        outcome.plain,
        outcome.recent_fall,
    )


def _assessment_info(s: Session, a: Assessment) -> AssessmentInfo:
    event = s.get(Event, a.event_id)
    assert event is not None
    latest = max(a.screenings, key=lambda x: (x.recorded_at, x.id), default=None)
    m = Measurements(
        a.height_cm,
        a.weight_kg,
        a.waist_cm,
        a.moderate_minutes,
        a.strength_days,
        a.balance_days,
        a.sitting_hours,
    )
    return AssessmentInfo(
        a.id,
        a.participant_id,
        a.event_id,
        a.previous_id,
        a.practitioner,
        a.station,
        a.assessed_on,
        age_or_zero(a.participant.date_of_birth, a.assessed_on),
        m,
        a.notes,
        a.goals,
        a.printed_at,
        a.version,
        tuple(_result_info(r) for r in sorted(a.results, key=lambda r: r.test_id)),
        _screening_info(latest, event.tests_offered) if latest else None,
    )


def _load_assessment(s: Session, assessment_id: str) -> Assessment:
    a = s.get(
        Assessment,
        assessment_id,
        options=[
            selectinload(Assessment.results).selectinload(Result.trials),
            selectinload(Assessment.screenings),
            selectinload(Assessment.participant),
        ],
    )
    if a is None:
        raise StoreError(_("that visit is no longer in the database (erased?)"))
    return a


_VISIT_PARTS = (
    selectinload(Assessment.results).selectinload(Result.trials),
    selectinload(Assessment.screenings),
    selectinload(Assessment.participant).selectinload(Participant.consents),
)


def day_visits(
    db: Database, event_id: str
) -> list[tuple[ParticipantInfo, AssessmentInfo, AssessmentInfo | None]]:
    """Every visit to one MOT day with its person and their previous visit, by family name, read
    with a few queries for the whole day (one per table), not a few per visit: what a day's
    sheets and its overviews are made from."""
    with db.transaction() as s:
        visits = list(
            s.scalars(
                select(Assessment)
                .join(Participant, Participant.id == Assessment.participant_id)
                .where(Assessment.event_id == event_id)
                .order_by(Participant.search_family, Participant.search_given, Participant.id)
                .options(*_VISIT_PARTS)
            )
        )
        wanted = {a.previous_id for a in visits if a.previous_id}
        before: dict[str, Assessment] = {}
        ids = sorted(wanted)
        for start in range(0, len(ids), 500):  # a bounded IN list, whatever the day's size
            for a in s.scalars(
                select(Assessment)
                .where(Assessment.id.in_(ids[start : start + 500]))
                .options(*_VISIT_PARTS)
            ):
                before[a.id] = a
        # Held by the session, so each visit's s.get(Event) finds its day there (the session
        # keeps only what something else still holds).
        s.info["days"] = {
            e.id: e
            for e in s.scalars(
                select(Event).where(
                    Event.id.in_(sorted({a.event_id for a in [*visits, *before.values()]}))
                )
            )
        }
        return [
            (
                _participant_info(a.participant),
                _assessment_info(s, a),
                _assessment_info(s, before[a.previous_id]) if a.previous_id in before else None,
            )
            for a in visits
        ]


def check_in(
    db: Database, actor: Actor, participant_id: str, event_id: str, practitioner: str = ""
) -> AssessmentInfo:
    """The participant's visit to this MOT day, created on first check-in. A visit to an
    earlier MOT day becomes the previous assessment, for the retest comparison."""
    with _saving(db) as s:
        permit(s, actor, "check_in")
        event = s.get(Event, event_id)
        if event is None:
            raise InputError(_("that MOT day is not in the database"))
        p = s.get(Participant, participant_id)
        if p is None:
            raise StoreError(_("that participant is no longer in the database (erased?)"))
        existing = s.scalar(
            select(Assessment).where(
                Assessment.participant_id == p.id, Assessment.event_id == event.id
            )
        )
        if existing is None:
            previous = s.scalar(
                select(Assessment.id)
                .where(Assessment.participant_id == p.id, Assessment.assessed_on < event.date)
                .order_by(Assessment.assessed_on.desc())
                .limit(1)
            )
            existing = Assessment(
                participant_id=p.id,
                event_id=event.id,
                previous_id=previous,
                practitioner=practitioner or actor.name,
                station=actor.station,
                assessed_on=event.date,
            )
            s.add(existing)
            s.flush()
            audit(s, actor, "create", "assessment", existing.id)
        return _assessment_info(s, _load_assessment(s, existing.id))


def get_assessment(db: Database, assessment_id: str) -> AssessmentInfo:
    with db.transaction() as s:
        return _assessment_info(s, _load_assessment(s, assessment_id))


def record_screening(
    db: Database,
    actor: Actor,
    assessment_id: str,
    answers: dict[str, bool],
    systolic: int | None = None,
    diastolic: int | None = None,
) -> AssessmentInfo:
    with _saving(db) as s:
        permit(s, actor, "screen")
        a = _load_assessment(s, assessment_id)
        event = s.get(Event, a.event_id)
        assert event is not None
        out = screening.assess(answers, systolic, diastolic, tuple(event.tests_offered))
        s.add(
            Screening(
                assessment_id=a.id,
                answers=dict(answers),
                systolic=systolic,
                diastolic=diastolic,
                outcome=out.outcome,
                excluded_tests=list(out.excluded_tests),
                recorded_by=actor.name,
            )
        )
        audit(s, actor, "screen", "assessment", a.id, out.outcome)
        s.flush()
        s.expire(a, ["screenings"])
        return _assessment_info(s, _load_assessment(s, a.id))


def save_result(
    db: Database,
    actor: Actor,
    assessment_id: str,
    test_id: str,
    trials: Sequence[tuple[float, str]],
    unit: str = "",
    *,
    modifications: Iterable[str] = (),
    expected_version: int | None = None,
    norms: NormSet | None = None,
) -> ResultInfo:
    """Saves a test's trials; the value that counts is derived by the engine.

    expected_version is the version the station last saw (None: it saw no result). If another
    station saved in between, ConflictError says so and nothing is overwritten.
    """
    ns = norms or default_norm_set()
    test = ns.test(test_id)
    unit_code = units.normalise_unit(unit, test.units, test.unit, test.short_name)
    values = entry.check_trials(test, trials, unit_code)
    counted = counted_value(test, values, unit_code)
    mods = entry.check_modifications(test, modifications)
    new_trials = [
        Trial(n=i + 1, value=v, unit=unit_code, label=label[:40])
        for i, (v, (_typed, label)) in enumerate(zip(values, trials, strict=True))
    ]
    return _write_result(
        db,
        actor,
        assessment_id,
        test,
        expected_version=expected_version,
        done=True,
        value=counted,
        unit=unit_code,
        mods=mods,
        trials=new_trials,
        detail=test_id,
        norms=ns,
    )


def mark_not_done(
    db: Database,
    actor: Actor,
    assessment_id: str,
    test_id: str,
    reason: str,
    *,
    expected_version: int | None = None,
    norms: NormSet | None = None,
    stop_reason: str | None = None,
) -> ResultInfo:
    """Records a test as not done, and why. A test the tester stopped needs the reason it was
    stopped (a symptom, or "other" such as a slip): the sheet says different things."""
    ns = norms or default_norm_set()
    test = ns.test(test_id)
    if reason not in NOT_DONE_REASONS:
        raise InputError(_("reason must be one of {reasons}", reasons=", ".join(NOT_DONE_REASONS)))
    if reason == "stopped_by_tester" and stop_reason not in STOP_REASONS:
        raise InputError(
            _("say why the test was stopped: one of {reasons}", reasons=", ".join(STOP_REASONS))
        )
    if reason != "stopped_by_tester" and stop_reason is not None:
        raise InputError(_("a stop reason goes only with a test stopped by the tester"))
    return _write_result(
        db,
        actor,
        assessment_id,
        test,
        expected_version=expected_version,
        done=False,
        reason=reason,
        unit=test.unit,
        detail=f"{test_id}: {reason}" + (f" ({stop_reason})" if stop_reason else ""),
        stop_reason=stop_reason,
        norms=ns,
    )


def _write_result(
    db: Database,
    actor: Actor,
    assessment_id: str,
    test: TestDef,
    *,
    expected_version: int | None,
    done: bool,
    unit: str,
    detail: str,
    norms: NormSet,
    reason: str | None = None,
    value: float | None = None,
    mods: Sequence[str] = (),
    trials: Sequence[Trial] = (),
    stop_reason: str | None = None,
) -> ResultInfo:
    """Creates or replaces one test's result at a visit, checking the version the station saw.
    A test the screening rules out can only be recorded as not done."""
    test_id = test.id
    with _saving(db) as s:
        permit(s, actor, "enter_results")
        a = _load_assessment(s, assessment_id)
        _check_keeping(s, a)
        if done:
            _check_allowed(a, test_id, norms)
        r = _current_result(a, test_id, expected_version, actor, norms)
        if r is None:
            r = Result(assessment_id=a.id, test_id=test_id)
            s.add(r)
            action = "create" if done else "not_done"
        else:
            action = "update" if done else "not_done"
            r.trials.clear()
            s.flush()
        r.done, r.reason, r.value, r.unit = done, reason, value, unit
        r.stop_reason = stop_reason
        r.modifications = list(mods)
        r.lineage = lineage.bump(lineage.of(r.lineage, r.station, r.version), actor.station)
        r.recorded_by, r.station, r.updated_at = actor.name, actor.station, utcnow()
        r.trials.extend(trials)
        s.flush()
        audit(s, actor, action, "result", r.id, detail)
        s.flush()
        s.refresh(r, ["trials"])
        return _result_info(r)


def save_measurements(
    db: Database,
    actor: Actor,
    assessment_id: str,
    m: Measurements,
    expected_version: int | None = None,
    *,
    notes: str | None = None,
    goals: str | None = None,
    only: Iterable[str] | None = None,
    seen: Measurements | None = None,
    results_seen: dict[str, int | None] | None = None,
) -> AssessmentInfo:
    """Saves a visit's measurements. A station saves `only` the measurements its test has,
    with the values it showed (`seen`): it conflicts only if another station changed one of
    those since, so the BMI station and the activity questionnaire never clash. Without `only`
    every measurement is written, checked against the visit's version.

    `results_seen` gives the version of each body result (bmi, waist, activity) the caller
    showed (None: no result). A result recorded as not done is replaced by a value only when
    the caller saw it; otherwise it is a conflict, never a silent change."""
    fields = entry.measurement_fields(default_norm_set().battery.values())
    keys = tuple(entry.MEASUREMENT_KEYS if only is None else only)
    for key in keys:
        if key not in entry.MEASUREMENT_KEYS:
            raise InputError(_("'{name}' is not a measurement", name=key))
        v = getattr(m, key)
        if v is not None:
            entry.check_measurement(fields, key, v)
    with _saving(db) as s:
        permit(s, actor, "enter_results")
        a = _load_assessment(s, assessment_id)
        _check_keeping(s, a)
        if seen is not None:
            for key in keys:
                if getattr(a, key) != getattr(seen, key):
                    raise ConflictError(
                        _(
                            "{measurement} was changed on another station since you opened "
                            "it; your entry is still on screen: reload to see the change, then "
                            "save again",
                            measurement=entry.label_words(fields[key].label),
                        )
                    )
        else:
            _expect(a.version, expected_version, _("this visit's measurements and notes"))
        for test_id, version in (results_seen or {}).items():
            _current_result(a, test_id, version, actor)
        changes: dict[str, object] = {key: getattr(m, key) for key in keys}
        if notes is not None:
            changes["notes"] = clean_notes(notes)
        if goals is not None:
            changes["goals"] = clean_notes(goals, N_("goals"))
        set_facts(a, changes, actor.station)
        a.updated_at = utcnow()
        audit(s, actor, "update", "assessment", a.id, "measurements: " + ", ".join(keys))
        _sync_body_results(a, actor, set(results_seen or ()))
        s.flush()
        return _assessment_info(s, _load_assessment(s, a.id))


def save_notes(
    db: Database,
    actor: Actor,
    assessment_id: str,
    notes: str,
    goals: str,
    *,
    seen_notes: str,
    seen_goals: str,
) -> AssessmentInfo:
    """Saves a visit's notes and goals. `seen_*` are the texts the screen showed before they
    were edited: if another station saved different ones meanwhile, ConflictError says so and
    nothing is overwritten. (Measurements saved meanwhile by the BMI or activity station are
    not a conflict: they are other fields of the same visit.)"""
    with _saving(db) as s:
        permit(s, actor, "enter_results")
        a = _load_assessment(s, assessment_id)
        if (a.notes, a.goals) != (seen_notes, seen_goals):
            raise ConflictError(
                _(
                    "another station changed this visit's notes or goals while you were "
                    "typing. Your text is still on screen: copy it, show their card again to "
                    "see the other station's, then combine the two and save again"
                )
            )
        set_facts(
            a,
            {"notes": clean_notes(notes), "goals": clean_notes(goals, N_("goals"))},
            actor.station,
        )
        a.updated_at = utcnow()
        audit(s, actor, "update", "assessment", a.id, "notes and goals")
        s.flush()
        return _assessment_info(s, _load_assessment(s, a.id))


def _sync_body_results(a: Assessment, actor: Actor, seen: set[str] | None = None) -> None:
    """BMI, waist and activity are results too (for exports and the sheet), kept in step with
    the measurements they come from. A result recorded as not done becomes a value only if the
    saving station saw it (`seen`): another station's "not done" is never silently replaced."""
    values: dict[str, tuple[float | None, str]] = {
        "bmi": (bmi(a.height_cm, a.weight_kg) if a.height_cm and a.weight_kg else None, "kg/m2"),
        "waist": (a.waist_cm, "cm"),
        "activity": (a.moderate_minutes, "min/week"),
    }
    existing = {r.test_id: r for r in a.results}
    for test_id, (value, unit) in values.items():
        r = existing.get(test_id)
        if value is None:
            if r is not None and r.done:
                a.results.remove(r)
            continue
        if r is None:
            r = Result(assessment_id=a.id, test_id=test_id)
            a.results.append(r)
        elif not r.done and test_id not in (seen or ()):
            when = r.updated_at.astimezone().strftime("%H:%M") if r.updated_at else _("earlier")
            if r.station and r.station != actor.station:
                raise ConflictError(
                    _(
                        "{test} was recorded as not done ({reason}) at {time} ({station}); "
                        "your entry is still on screen: reload to see it, then save again",
                        test=test_id,
                        reason=r.reason,
                        time=when,
                        station=r.station,
                    )
                )
            raise ConflictError(
                _(
                    "{test} was recorded as not done ({reason}) at {time}; your entry is still "
                    "on screen: reload to see it, then save again",
                    test=test_id,
                    reason=r.reason,
                    time=when,
                )
            )
        if (r.done, r.value, r.unit, r.modifications or []) == (True, value, unit, []):
            continue  # unchanged: not a new version of it
        r.done, r.reason, r.value, r.unit, r.modifications = True, None, value, unit, []
        r.stop_reason = None
        r.lineage = lineage.bump(lineage.of(r.lineage, r.station, r.version), actor.station)
        r.recorded_by, r.station, r.updated_at = actor.name, actor.station, utcnow()


def set_facts(a: Assessment, changes: dict[str, object], station: str) -> None:
    """Writes a visit's facts (measurements, notes, goals), counting a change of each one at
    this station (ffmot.core.lineage), so station files know which copy came later."""
    vectors = dict(a.lineage or {})
    for key, value in changes.items():
        if getattr(a, key) == value:
            continue
        setattr(a, key, value)
        vectors[key] = lineage.bump(vectors.get(key), station)
    a.lineage = vectors


def mark_printed(db: Database, actor: Actor, assessment_id: str) -> None:
    """Records that the visit's sheet was printed now. Two stations printing one sheet at once
    is no conflict: one UPDATE with no read before it (so no version to go stale), and the
    later print time wins; an earlier one arriving late leaves it be."""
    from sqlalchemy import update

    now = utcnow()
    with db.transaction() as s:
        permit(s, actor, "print_sheets")
        changed = s.execute(
            update(Assessment)
            .where(Assessment.id == assessment_id)
            .where(or_(Assessment.printed_at.is_(None), Assessment.printed_at < now))
            .values(printed_at=now, version=Assessment.version + 1)
            .execution_options(synchronize_session=False)
        )
        if not getattr(changed, "rowcount", 0) and s.get(Assessment, assessment_id) is None:
            raise StoreError(_("that visit is no longer in the database (erased?)"))
        audit(s, actor, "print", "assessment", assessment_id)


# --- shared guards ----------------------------------------------------------------------------


@contextmanager
def _saving(db: Database) -> Iterator[Session]:
    """A transaction whose optimistic-lock and uniqueness failures become ConflictError."""
    try:
        with db.transaction() as s:
            yield s
    except StaleDataError:
        raise ConflictError(
            _(
                "another station saved this record a moment ago; your entry is still on "
                "screen: reload to see theirs, then save again"
            )
        ) from None
    except IntegrityError as e:
        text = str(e.orig).lower()
        if "unique" in text or "duplicate" in text:
            raise ConflictError(
                _(
                    "another station saved this result a moment ago; your entry is still on "
                    "screen: reload to see theirs, then save again"
                )
            ) from None
        raise explain(db, e) from None
    except OperationalError as e:
        raise explain(db, e) from None


def _expect(actual: int, expected: int | None, what: str) -> None:
    """`what`: the record, in words already translated."""
    if expected is not None and actual != expected:
        raise ConflictError(
            _(
                "{what} changed on another station since you opened it; your entry is still "
                "on screen: reload to see the change, then save again",
                what=what,
            )
        )


def _current_result(
    a: Assessment,
    test_id: str,
    expected_version: int | None,
    actor: Actor,
    norms: NormSet | None = None,
) -> Result | None:
    r = next((x for x in a.results if x.test_id == test_id), None)
    if r is None:
        return None
    if expected_version is None or r.version != expected_version:
        when = r.updated_at.astimezone().strftime("%H:%M") if r.updated_at else _("earlier")
        test = (norms or default_norm_set()).test_name(test_id)
        if r.station and r.station != actor.station:
            raise ConflictError(
                _(
                    "this {test} result was saved at {time} ({station}) since you opened it; "
                    "your entry is still on screen: reload to see it, then save again",
                    test=test,
                    time=when,
                    station=r.station,
                )
            )
        raise ConflictError(
            _(
                "this {test} result was saved at {time} since you opened it; your entry is "
                "still on screen: reload to see it, then save again",
                test=test,
                time=when,
            )
        )
    return r


def keeps_results(s: Session, participant_id: str) -> bool:
    """Their latest decision on keeping their results is yes."""
    latest = s.execute(
        select(Consent.granted)
        .where(Consent.participant_id == participant_id, Consent.purpose == "keep_results")
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(1)
    ).scalar()
    return bool(latest)


def _check_keeping(s: Session, a: Assessment) -> None:
    """Nothing more is recorded for someone who has withdrawn consent to keep their results."""
    if not keeps_results(s, a.participant_id):
        raise InputError(
            _(
                "they have not agreed to keep their results (or have withdrawn it): nothing "
                "can be recorded for them. Ask them at check-in; if they agree, tick 'Keep my "
                "results'"
            )
        )


def _check_allowed(a: Assessment, test_id: str, norms: NormSet) -> None:
    """A result can be entered only after a finished screening that allows this test."""
    latest = max(a.screenings, key=lambda x: (x.recorded_at, x.id), default=None)
    name = norms.test_name(test_id)
    if latest is None:
        raise InputError(
            _(
                "{test} cannot be entered: they have not been screened yet. Screen them at "
                "check-in first",
                test=name,
            )
        )
    if latest.outcome == screening.INCOMPLETE:
        raise InputError(
            _(
                "{test} cannot be entered: the safety screening is not finished. Answer every "
                "question at check-in first",
                test=name,
            )
        )
    if latest.outcome == screening.DO_NOT_TEST:
        raise InputError(
            _(
                "{test} cannot be entered: the safety screening says not to test today. "
                "Record it as not done instead",
                test=name,
            )
        )
    if test_id in latest.excluded_tests:
        raise InputError(
            _(
                "{test} cannot be entered: the safety screening rules this test out. Record "
                "it as not done instead",
                test=name,
            )
        )


def card_at_day(
    db: Database, code: str, event_id: str, seen_by: Actor | None = None
) -> tuple[ParticipantInfo, AssessmentInfo | None]:
    """The person a card belongs to and their visit to this MOT day (None: not checked in),
    as a station or the score-card form looks them up (`seen_by`: as for get_participant)."""
    p = find_by_code(db, code, seen_by)
    return p, find_visit(db, p.id, event_id)


def find_visit(db: Database, participant_id: str, event_id: str) -> AssessmentInfo | None:
    """The participant's visit to this MOT day, if they have checked in."""
    with db.transaction() as s:
        aid = s.scalar(
            select(Assessment.id).where(
                Assessment.participant_id == participant_id, Assessment.event_id == event_id
            )
        )
        return None if aid is None else _assessment_info(s, _load_assessment(s, aid))
