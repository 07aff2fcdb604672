"""报名费 — the registration fee table (S5): what a point takes from a candidate of a subject
track, set by the province for each season. The point never types the amount."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.codes.models import Code, RegistrationFee, Table


def expected_fee(candidate: Any) -> int | None:
    """The registration fee in fen for `candidate`'s season and subject track, or None
    when the province has configured none."""
    return (
        RegistrationFee.objects.filter(
            season_id=candidate.season_id, subject_track=candidate.subject_track
        )
        .values_list("fee_fen", flat=True)
        .first()
    )


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def fee_problem(candidate: Any, fee_fen: int | None) -> str | None:
    """Why `fee_fen` cannot be recorded as the candidate's fee (None when it can): a fee
    recorded must be the one the table gives for the candidate's track."""
    if fee_fen is None:
        return None
    expected = expected_fee(candidate)
    if expected is None or fee_fen == expected:
        return None
    return _(
        "The registration fee for this subject track is %(fee)s yuan, as the province "
        "configured it; %(given)s yuan cannot be recorded."
    ) % {"fee": yuan(expected), "given": yuan(fee_fen)}


@dataclass
class FeeRow:
    track: Code
    fee_fen: int | None


def fee_table(season) -> list[FeeRow]:
    """Every subject track in use with its fee in `season` (None: not configured)."""
    fees = dict(
        RegistrationFee.objects.filter(season=season).values_list("subject_track", "fee_fen")
    )
    return [FeeRow(track, fees.get(track.code)) for track in Code.objects.of(Table.SUBJECT_TRACK)]


class FeesRefused(Exception):
    """The fee table cannot be saved as asked."""


@transaction.atomic
def save_fees(
    season,
    fees: dict[str, int | None],
    *,
    reason: str,
    by: Any,
    request: HttpRequest | None = None,
) -> dict[str, list]:
    """Set `season`'s fee for each track in `fees` (None removes it) and record the diff,
    `{track: [before, after]}` in fen, with the reason in one audit event. Returns the diff
    (empty: nothing changed, nothing recorded)."""
    reason = (reason or "").strip()
    if not reason:
        raise FeesRefused(_("Say why the fees change."))
    tracks = set(Code.objects.filter(table=Table.SUBJECT_TRACK).values_list("code", flat=True))
    unknown = sorted(set(fees) - tracks)
    if unknown:
        raise FeesRefused(_("Unknown subject track: %(codes)s.") % {"codes": ", ".join(unknown)})
    if any(fen is not None and fen < 0 for fen in fees.values()):
        raise FeesRefused(_("A fee cannot be negative."))
    rows = {
        r.subject_track: r
        for r in RegistrationFee.objects.select_for_update().filter(
            season=season, subject_track__in=fees
        )
    }
    diff: dict[str, list] = {}
    for track, fen in sorted(fees.items()):
        row = rows.get(track)
        before = row.fee_fen if row else None
        if before == fen:
            continue
        diff[track] = [before, fen]
        if fen is None:
            row.delete()
        elif row is None:
            RegistrationFee.objects.create(season=season, subject_track=track, fee_fen=fen)
        else:
            row.fee_fen = fen
            row.save(update_fields=["fee_fen"])
    if diff:
        record(
            Action.FEES_SAVED,
            actor=by,
            request=request,
            target=season,
            model="codes.registrationfee",
            changes=diff,
            reason=reason[:500],
        )
    return diff


def seed_fees(season, fees: dict[str, int]) -> int:
    """Fees for a new season from a preset or the demo: only tracks without a fee get one,
    so that what the province entered is never overwritten. Returns how many were added."""
    have = set(
        RegistrationFee.objects.filter(season=season).values_list("subject_track", flat=True)
    )
    new = [
        RegistrationFee(season=season, subject_track=str(track), fee_fen=int(fen))
        for track, fen in fees.items()
        if str(track) not in have
    ]
    RegistrationFee.objects.bulk_create(new)
    return len(new)
