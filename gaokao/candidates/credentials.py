"""The candidate's login password (登录密码), the one printed on the login card (S4), which
the candidate may replace (S6). Signing in itself, which touches the HTTP session, is the
portal's (gaokao.portal.services)."""

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates.confirmation import password_errors
from gaokao.candidates.history import label
from gaokao.candidates.models import Candidate


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
