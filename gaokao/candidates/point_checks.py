"""The point's checks (S5) as they will be after a change: a fee paid has its receipt and
is the one the province's fee table gives for the candidate's track (gaokao.codes.fees), an
ineligible candidate has a reason. Checked once, by the one change path for a change and
by the point's intake for a candidate the point client took in, whatever the origin: the
office web, a sync push, a disc bundle."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gaokao.candidates.errors import IntakeRefused
from gaokao.candidates.models import Candidate, EligibilityResult
from gaokao.codes.fees import fee_problem

DEFAULTS = {"fee_fen": None, "fee_receipt": "", "eligibility": "", "eligibility_note": ""}


def check_point_checks(candidate: Candidate, values: dict[str, Any]) -> None:
    """Raise IntakeRefused when the point's checks of `candidate`, with `values` set on
    what it holds, break a rule. A change that leaves the fee or the eligibility alone (an
    update of other fields) is not held to the rules on them."""
    merged = {name: getattr(candidate, name, default) for name, default in DEFAULTS.items()}
    merged |= {name: values[name] for name in DEFAULTS if name in values}
    if {"fee_fen", "fee_receipt"} & values.keys():
        if merged["fee_fen"] is not None and not merged["fee_receipt"]:
            raise IntakeRefused(_("Enter the receipt number of the fee."), code="receipt")
        if problem := fee_problem(candidate, merged["fee_fen"]):
            raise IntakeRefused(problem, code="fee")
    touched = {"eligibility", "eligibility_note"} & values.keys()
    no_reason = (
        merged["eligibility"] == EligibilityResult.INELIGIBLE and not merged["eligibility_note"]
    )
    if touched and no_reason:
        raise IntakeRefused(_("Say why the candidate is not eligible."), code="note")
