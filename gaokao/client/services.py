"""Keying in paper draft forms (E4, E5) — 按纸质草表录入.

When power or network was out, candidates filled in paper draft forms; point staff key
them in later, on the point client or on the central office web. The data and its checks
are the candidate portal's (gaokao.portal.services: clean_data, clean_resume,
clean_family), but the save is the staff's: no confirmation password, audited under the
staff account, and the record is marked `keyed_from_paper` so the candidate checks it in
the portal later.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.models import Candidate, FamilyMember, ResumeEntry
from gaokao.candidates.services import IntakeRefused, _locked
from gaokao.client.models import Outbox
from gaokao.portal.services import (
    DATA_FIELDS,
    clean_data,
    clean_family,
    clean_resume,
    may_change_data,
    saved_rows,
)
from gaokao.submission.rules import check_editable


def clean_paper_form(
    data: dict[str, Any], resume: list[dict[str, Any]], family: list[dict[str, Any]]
) -> tuple[dict[str, str], list[dict[str, str]], list[dict[str, str]]]:
    """All three parts checked by the portal's rules, every error reported at once: field
    errors under the field's name, row errors under "resume" and "family"."""
    results: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for part, clean, value in (
        ("data", clean_data, data),
        ("resume", clean_resume, resume),
        ("family", clean_family, family),
    ):
        try:
            results[part] = clean(value)
        except IntakeRefused as e:
            errors.update(e.message_dict if hasattr(e, "error_dict") else {part: e.messages})
    if errors:
        raise IntakeRefused(errors, code="invalid")
    return results["data"], results["resume"], results["family"]


def save_paper_data(
    candidate: Candidate,
    *,
    version: int,
    data: dict[str, Any],
    resume: list[dict[str, Any]],
    family: list[dict[str, Any]],
    by: Any,
    request: HttpRequest | None = None,
) -> Candidate:
    """Save the candidate's own data from a paper draft form, keyed in by point staff.

    Refused (IntakeRefused, nothing saved) when the point has submitted the record (S9),
    when the candidate's data window is closed, when someone saved the candidate since
    `version`, or when the data breaks the portal's rules."""
    candidate = Candidate.objects.select_related("season", "point__county").get(pk=candidate.pk)
    check_editable(candidate, "point")
    if not may_change_data(candidate):
        raise IntakeRefused(
            _("Registration is closed: the candidate's data can no longer be changed."),
            code="window_closed",
        )
    with transaction.atomic():
        current = _locked(candidate, version)
        cleaned, resume_rows, family_rows = clean_paper_form(data, resume, family)
        before_rows = saved_rows(current)
        before = {k: getattr(current, k) for k in DATA_FIELDS if getattr(current, k) != cleaned[k]}
        after = {k: cleaned[k] for k in before}
        if before_rows[0] != resume_rows:
            before["resume"], after["resume"] = before_rows[0], resume_rows
        if before_rows[1] != family_rows:
            before["family"], after["family"] = before_rows[1], family_rows
        for name, value in cleaned.items():
            setattr(current, name, value)
        current.keyed_from_paper = True
        current.data_saved_at = timezone.now()
        current.version = F("version") + 1
        current.save(
            update_fields=[
                *DATA_FIELDS,
                "keyed_from_paper",
                "data_saved_at",
                "version",
                "updated_at",
            ]
        )
        current.resume.all().delete()
        ResumeEntry.objects.bulk_create(
            ResumeEntry(candidate=current, order=n, **row) for n, row in enumerate(resume_rows)
        )
        current.family.all().delete()
        FamilyMember.objects.bulk_create(
            FamilyMember(candidate=current, order=n, **row) for n, row in enumerate(family_rows)
        )
        record(
            Action.CANDIDATE_DATA_SAVED,
            actor=by,
            request=request,
            unit=current.point,
            target=current,
            keyed_from_paper=True,
            before=before,
            after=after,
        )
        if settings.GAOKAO_MODE == "client":
            # The candidate's save queued its change before the rows were written; queue
            # it again from the final state (it coalesces into the same entry).
            from gaokao.client.capture import candidate_changed

            candidate_changed(current.pk)
    current.refresh_from_db()
    return current


def dismiss(entry: Outbox, *, by: Any) -> None:
    """A person has seen a change the server refused or found in conflict (and dealt
    with it in the office web): it leaves the list. Pending work is never dismissed."""
    if entry.state != Outbox.State.ATTENTION:
        raise IntakeRefused(_("Only changes that need attention can be dismissed."))
    entry.delete()
