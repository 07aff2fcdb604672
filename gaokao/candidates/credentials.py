"""The candidate's login password (登录密码), the one printed on the login card (S4), which
the candidate may replace (S6). Signing in itself, which touches the HTTP session, is the
portal's (gaokao.portal.services).

A login card is one write here (`issue_card`), whoever issues it: the office web
(candidates.services.issue_login_cards) or a point client offline, whose card's hash (never
the password) arrives by sync or on a disc (`take_point_card`, issue 20). Of two cards the
later one wins; the earlier one stops working."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.confirmation import password_errors
from gaokao.candidates.history import label
from gaokao.candidates.models import Candidate, EligibilityResult


@transaction.atomic
def change_login_password(candidate: Candidate, current: str, new: str, request=None) -> None:
    """S6: the candidate replaces the login card's password. The current one is asked;
    the new one has at least 8 characters, not only digits, and differs from the
    confirmation password."""
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if not candidate.portal_password or not check_password(current, candidate.portal_password):
        raise ValidationError({"current": [_("The current password is wrong.")]})
    errors = password_errors(new)
    if candidate.confirmation_password and check_password(new, candidate.confirmation_password):
        errors.append(_("The login password must differ from the confirmation password."))
    if errors:
        raise ValidationError({"password": errors})
    candidate.portal_password = make_password(new)
    candidate.save(update_fields=["portal_password"])
    record(
        Action.PASSWORD_CHANGED,
        request=request,
        unit=candidate.point,
        label=label(candidate.registration_number),
        target=candidate,
        which="login",
    )


# ── login cards (S4) ───────────────────────────────────────────────────────────────────


def login_card_blockers(candidate: Candidate) -> list[str]:
    """Why no login card can be issued yet (empty when it can)."""
    reasons = []
    if not candidate.identity_cleared:
        reasons.append(str(_("The identity review is not approved.")))
    if not candidate.documents_received:
        reasons.append(str(_("The documents are not recorded as received.")))
    if candidate.fee_fen is None:
        reasons.append(str(_("The registration fee is not recorded.")))
    if candidate.eligibility != EligibilityResult.ELIGIBLE:
        reasons.append(str(_("The eligibility review is not passed.")))
    return reasons


def issue_card(candidate: Candidate, password_hash: str, issued_at: dt.datetime) -> None:
    """Make `password_hash` the login card's password from `issued_at` on: the card before
    it stops working. The caller holds the row's lock and writes the audit record."""
    candidate.portal_password = password_hash
    candidate.credentials_issued_at = issued_at
    candidate.credentials_issued_count = F("credentials_issued_count") + 1
    candidate.save(
        update_fields=["portal_password", "credentials_issued_at", "credentials_issued_count"]
    )


class CardRefused(ValueError):
    """A point's card hash that is not one the portal would have made (forged or weak)."""


def check_card_hash(password_hash: Any) -> str:
    """A card's hash as a point client sends it: made by one of the server's password
    hashers, at least as strong as the server makes them now, never a password in clear.
    Returns it, or raises CardRefused."""
    if not isinstance(password_hash, str) or not 40 <= len(password_hash) <= 128:
        raise CardRefused("length")
    try:
        hasher = identify_hasher(password_hash)
        decoded = hasher.decode(password_hash)
    except (ValueError, TypeError, IndexError, KeyError) as e:
        raise CardRefused("format") from e
    salt, digest = str(decoded.get("salt") or ""), str(decoded.get("hash") or "")
    if len(salt) < 16 or len(digest) < 32:
        raise CardRefused("short")
    # As strong as the server's own hashes, and not so costly that checking it at the
    # portal's sign-in would tie a server up.
    costs = [
        (name, getattr(hasher, name))
        for name in ("iterations", "time_cost", "memory_cost", "parallelism")
        if name in decoded
    ]
    if not costs:
        raise CardRefused("weak")  # salted SHA-1, MD5 and the like
    for name, ours in costs:
        theirs = decoded[name]
        if name != "parallelism" and theirs < ours:
            raise CardRefused("weak")
        if not isinstance(theirs, int) or theirs > MAX_COST_FACTOR * ours:
            raise CardRefused("costly")
    return password_hash


MAX_COST_FACTOR = 8


@dataclass
class CardOutcome:
    """What became of a login card a point issued offline: accepted (the first card),
    replaced (it replaces an earlier one, which stops working), void (a later card was
    issued meanwhile, or the record does not allow a card at the server), same (it was
    taken before). `message` tells the point."""

    status: str
    message: str = ""


def _when(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


@transaction.atomic
def take_point_card(
    candidate: Candidate, password_hash: str, issued_at: dt.datetime, *, by: Any, origin: str
) -> CardOutcome:
    """A login card a point client issued offline, its hash checked (`check_card_hash`).
    The later card wins, by the times they were issued; the loser stops working and the
    point is told which. Audited like a card issued in the office web."""
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    number = candidate.registration_number
    if candidate.portal_password == password_hash:
        return CardOutcome("same")
    earlier = candidate.credentials_issued_at
    if earlier is not None and earlier >= issued_at:
        return CardOutcome(
            "void",
            gettext(
                "The login card printed here on %(here)s for %(number)s no longer works: a"
                " later card was issued on %(later)s. Give the candidate that card, or issue"
                " a new one here."
            )
            % {"here": _when(issued_at), "number": number, "later": _when(earlier)},
        )
    blockers = login_card_blockers(candidate)
    if blockers:
        return CardOutcome(
            "void",
            gettext(
                "The login card printed here for %(number)s does not work: at the server,"
                " %(reasons)s"
            )
            % {"number": number, "reasons": " ".join(blockers)},
        )
    issue_card(candidate, password_hash, issued_at)
    record(
        Action.LOGIN_CARDS_ISSUED,
        actor=by,
        unit=candidate.point,
        target=candidate,
        numbers=[number],
        origin=origin,
        issued_at=issued_at.isoformat(),
        replaces=earlier.isoformat() if earlier else "",
    )
    if earlier is None:
        return CardOutcome("accepted")
    return CardOutcome(
        "replaced",
        gettext(
            "The login card printed here on %(here)s for %(number)s replaces the one issued on"
            " %(earlier)s: that earlier card no longer works."
        )
        % {"here": _when(issued_at), "number": number, "earlier": _when(earlier)},
    )
