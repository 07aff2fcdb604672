"""Signing a candidate in to the portal (S6): the registration number and the password on
the login card, throttled and audited. What the candidate may do once in — the
confirmation password, their own data, their login password — is the candidates app's
(gaokao.candidates.confirmation, .own_data, .credentials)."""

from django.contrib.auth.hashers import check_password, make_password
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.accounts import throttle
from gaokao.accounts.services import SignInRefused, lock_message
from gaokao.audit.models import Action
from gaokao.audit.services import client_ip, record
from gaokao.candidates.history import label
from gaokao.candidates.models import Candidate
from gaokao.seasons import current

# Compared against when no candidate matches, so that a wrong number costs as much time
# as a wrong password and does not reveal which numbers exist.
_DUMMY_HASH = make_password("no candidate has this password")


def sign_in(request: HttpRequest, registration_number: str, password: str) -> Candidate:
    number, ip = registration_number.strip(), client_ip(request) or "unknown"
    keys = (("candidate-number", number), ("candidate-ip", ip))
    for scope, key in keys:
        until = throttle.locked_until(scope, key)
        if until:
            raise SignInRefused(lock_message(until))
    candidate = (
        Candidate.objects.select_related("point__county__parent")  # the time slots' areas
        .filter(season=current(), registration_number=number)
        .first()
    )
    stored = candidate.portal_password if candidate and candidate.portal_password else _DUMMY_HASH
    matches = check_password(password, stored)  # always, so timing reveals nothing
    if candidate is None or stored is _DUMMY_HASH or not matches:
        unit = candidate.point if candidate else None
        record(Action.LOGIN_FAILED, request=request, unit=unit, label=label(number))
        locks = [throttle.record_failure(scope, key) for scope, key in keys]
        until = max((u for u in locks if u), default=None)
        if until:
            record(Action.LOCKED_OUT, request=request, unit=unit, label=label(number))
            raise SignInRefused(lock_message(until))
        raise SignInRefused(_("The registration number or password is wrong."))
    throttle.reset("candidate-number", number)
    return candidate


def signed_in(request: HttpRequest, candidate: Candidate) -> None:
    """The candidate is in (after the time slot and the admission queue, E1): audited."""
    Candidate.objects.filter(pk=candidate.pk).update(portal_last_login=timezone.now())
    record(
        Action.LOGIN,
        request=request,
        unit=candidate.point,
        label=label(candidate.registration_number),
        target=candidate,
    )
