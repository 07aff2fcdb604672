"""The confirmation password (信息保存及提交确认密码, O5): set by the candidate right after
the first sign-in, different from the login password, and asked at every save of their
own data or of anything they pay for. Repeated wrong guesses lock saving for a while."""

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import MinimumLengthValidator, NumericPasswordValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext_lazy as _

from gaokao.accounts import throttle
from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.errors import ConfirmationRefused
from gaokao.candidates.history import label
from gaokao.candidates.models import Candidate

# Also the rules of the login password a candidate chooses (gaokao.candidates.credentials).
CONFIRMATION_VALIDATORS = [MinimumLengthValidator(8), NumericPasswordValidator()]
CONFIRM_SCOPE = "candidate-number"  # the number's policy (5 in 15 minutes), its own key


def confirm_key(candidate: Candidate) -> str:
    return f"confirm:{candidate.registration_number or candidate.pk}"


def password_errors(password: str) -> list[str]:
    """What CONFIRMATION_VALIDATORS find wrong with `password`, every message at once."""
    errors = []
    for validator in CONFIRMATION_VALIDATORS:
        try:
            validator.validate(password)
        except ValidationError as e:
            errors.extend(e.messages)
    return errors


@transaction.atomic
def set_confirmation_password(candidate: Candidate, password: str, request=None) -> None:
    """O5: different from the login password; at least 8 characters, not only digits."""
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    errors = password_errors(password)
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
        label=label(candidate.registration_number),
        target=candidate,
        which="confirmation",
    )


def check_confirmation(candidate: Candidate, password: str, request=None) -> None:
    """O5: the confirmation password, with repeated guesses locking saving for a while.
    Refused with ConfirmationRefused, code "locked" or "wrong_confirmation"."""
    key, who = confirm_key(candidate), label(candidate.registration_number)
    until = throttle.locked_until(CONFIRM_SCOPE, key)
    if until:
        raise ConfirmationRefused(lock_message(until), code="locked")
    if candidate.confirmation_password and check_password(
        password or "", candidate.confirmation_password
    ):
        throttle.reset(CONFIRM_SCOPE, key)
        return
    record(
        Action.CONFIRMATION_FAILED,
        request=request,
        unit=candidate.point,
        label=who,
        target=candidate,
    )
    until = throttle.record_failure(CONFIRM_SCOPE, key)
    if until:
        record(
            Action.LOCKED_OUT,
            request=request,
            unit=candidate.point,
            label=who,
            target=candidate,
            which="confirmation",
        )
        raise ConfirmationRefused(lock_message(until), code="locked")
    raise ConfirmationRefused(
        _("The confirmation password is wrong. Nothing was saved."), code="wrong_confirmation"
    )


def lock_message(until) -> str:
    """Saving is locked until `until` (local time); the input is kept."""
    return _(
        "Too many wrong confirmation passwords. Saving is locked until %(time)s; your input"
        " is kept below."
    ) % {"time": time_format(timezone.localtime(until), "H:i")}
