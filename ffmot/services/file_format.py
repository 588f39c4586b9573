"""The export file's format, shared by export and import: its columns, in their order, and the
checks on a path before a file is read or written.

docs/export-columns.md describes every column. Other tools rely on the order: columns are only
ever added at the end.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ffmot.core.errors import InputError
from ffmot.core.i18n import _
from ffmot.core.vocabulary import PURPOSES

# The columns of the first export format, in their order: a file must have every one of them.
REQUIRED_COLUMNS = (
    "participant_code",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "event",
    "assessment_date",
    "test",
    "value",
    "unit",
    "band",
    "percentile",
    "done",
    "reason",
    "trials",
    "modifications",
    "event_date",
    "venue",
    "organisation",
    "norm_set_version",
    "tests_offered",
    "training",
    "practitioner",
    "station",
    "height_cm",
    "weight_kg",
    "strength_days",
    "balance_days",
    "sitting_hours",
    "phone",
    "email",
    "postcode_district",
    *(f"consent_{p}" for p in PURPOSES),
    "participant_id",
    "event_id",
    "assessment_id",
    "previous_assessment_id",
    "result_id",
)
# Added later, at the end, so the columns above keep their places. A file from an earlier ffmot
# may lack them: import then reads them as empty (see docs/export-columns.md).
ADDED_COLUMNS = (
    # result
    "stop_reason",
    "result_recorded_by",
    "result_station",
    "result_recorded_at",
    "result_updated_at",
    # visit
    "waist_cm",
    "moderate_minutes",
    "visit_notes",
    "visit_goals",
    "printed_at",
    "checked_in_at",
    "screening_id",
    "screening_outcome",
    "screening_excluded_tests",
    "screening_answers",
    "screening_systolic",
    "screening_diastolic",
    "screening_recorded_at",
    "screening_recorded_by",
    # MOT day
    "activities_directory",
    # participant
    "participant_notes",
    *(f"consent_{p}_{what}" for p in PURPOSES for what in ("recorded_at", "recorded_by")),
)
COLUMNS = REQUIRED_COLUMNS + ADDED_COLUMNS
KNOWN = frozenset(COLUMNS)
# Free text kept exactly as written: import does not trim its spaces or line breaks.
FREE_TEXT = ("visit_notes", "visit_goals", "participant_notes")
ANONYMISED_COLUMNS = (
    "export_id",
    "age_band",
    "sex",
    "event",
    "event_date",
    "test",
    "value",
    "unit",
    "band",
    "percentile",
    "done",
    "reason",
    "modifications",
)


def number_text(v: float | int | None) -> str:
    """A number as export writes it: whole numbers without a point, others exactly."""
    if v is None:
        return ""
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def regular_file(path: Path, doing: str) -> os.stat_result | None:
    """The file's status if it is a regular file; None if it does not exist; InputError if
    it is a pipe, a device, a folder or anything else that is not a plain file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        if doing == "write":
            raise InputError(
                _("cannot write {path}: {problem}", path=path, problem=e.strerror)
            ) from None
        raise InputError(
            _("cannot read {path}: {problem}", path=path, problem=e.strerror)
        ) from None
    if not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise InputError(
                _(
                    "{path} is not a regular file (it is a folder): choose a .csv or .xlsx file",
                    path=path,
                )
            )
        raise InputError(
            _(
                "{path} is not a regular file (it is a pipe, device or other special file): "
                "choose a .csv or .xlsx file",
                path=path,
            )
        )
    return st
