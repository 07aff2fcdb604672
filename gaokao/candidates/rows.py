"""A candidate's résumé and family rows (简历, 家庭成员; S6): a save sends each list whole,
and the list replaces the saved rows in their order. The one writer of those rows, whoever
saves: the portal, paper-form keying, sync, and the point client taking the server's
snapshot."""

from __future__ import annotations

import uuid
from typing import Any

from gaokao.candidates.models import FamilyMember, ResumeEntry

ROW_MODELS = {"resume": ResumeEntry, "family": FamilyMember}


def replace_rows(
    candidate_id: uuid.UUID | str,
    *,
    resume: list[dict[str, Any]] | None = None,
    family: list[dict[str, Any]] | None = None,
) -> None:
    """Replace the candidate's résumé and/or family rows (None: leave that list alone).
    The rows must be checked already (own_data.clean_resume, clean_family); call inside
    the transaction that saves the candidate."""
    for name, rows in (("resume", resume), ("family", family)):
        if rows is None:
            continue
        model = ROW_MODELS[name]
        model.objects.filter(candidate_id=candidate_id).delete()
        model.objects.bulk_create(
            model(candidate_id=candidate_id, order=n, **row) for n, row in enumerate(rows)
        )
