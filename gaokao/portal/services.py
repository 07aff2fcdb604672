"""The candidate portal's sign-in and confirmation password (S6, O5).

A candidate signs in with the registration number and the password on the login card.
Right after the first sign-in they set the confirmation password (信息保存及提交确认密码),
which differs from the login password and is asked at every save of their data.
"""

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import MinimumLengthValidator, NumericPasswordValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.accounts import throttle
from gaokao.accounts.services import SignInRefused, lock_message
from gaokao.audit.models import Action
from gaokao.audit.services import client_ip, record
from gaokao.candidates.models import Candidate
from gaokao.seasons.models import Season

CONFIRMATION_VALIDATORS = [MinimumLengthValidator(8), NumericPasswordValidator()]
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
    season = Season.objects.filter(is_current=True).first()
    candidate = (
        Candidate.objects.select_related("point")
        .filter(season=season, registration_number=number)
        .first()
    )
    stored = candidate.portal_password if candidate and candidate.portal_password else _DUMMY_HASH
    matches = check_password(password, stored)  # always, so timing reveals nothing
    if candidate is None or stored is _DUMMY_HASH or not matches:
        unit = candidate.point if candidate else None
        record(Action.LOGIN_FAILED, request=request, unit=unit, label=f"考生 {number}"[:150])
        locks = [throttle.record_failure(scope, key) for scope, key in keys]
        until = max((u for u in locks if u), default=None)
        if until:
            record(Action.LOCKED_OUT, request=request, unit=unit, label=f"考生 {number}"[:150])
            raise SignInRefused(lock_message(until))
        raise SignInRefused(_("The registration number or password is wrong."))
    throttle.reset("candidate-number", number)
    Candidate.objects.filter(pk=candidate.pk).update(portal_last_login=timezone.now())
    record(
        Action.LOGIN,
        request=request,
        unit=candidate.point,
        label=f"考生 {number}",
        target=candidate,
    )
    return candidate


@transaction.atomic
def set_confirmation_password(candidate: Candidate, password: str, request=None) -> None:
    """O5: different from the login password; at least 8 characters, not only digits."""
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    errors = []
    for validator in CONFIRMATION_VALIDATORS:
        try:
            validator.validate(password)
        except ValidationError as e:
            errors.extend(e.messages)
    if check_password(password, candidate.portal_password):
        errors.append(_("The confirmation password must differ from the login password."))
    if errors:
        raise ValidationError(errors)
    candidate.confirmation_password = make_password(password)
    candidate.save(update_fields=["confirmation_password"])
    record(
        Action.PASSWORD_CHANGED,
        request=request,
        unit=candidate.point,
        label=f"考生 {candidate.registration_number}",
        target=candidate,
        which="confirmation",
    )
