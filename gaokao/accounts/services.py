"""Staff accounts: sign-in with password and TOTP, real-name authentication, and the
accounts each level manages for the level below (S1, S2, S3, E3)."""

import contextlib
import secrets
import time
from dataclasses import dataclass

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from gaokao.accounts import throttle
from gaokao.accounts.models import Role, StaffUser
from gaokao.audit import config
from gaokao.audit.models import Action
from gaokao.audit.services import client_ip, record
from gaokao.lib.idnumber import InvalidIdNumber, parse_resident_id
from gaokao.lib.text import clean_text
from gaokao.privacy.masking import mask_id
from gaokao.regions.models import Region, RegistrationPoint

# No 0/O, 1/l/I: initial passwords are read off paper and typed in.
PASSWORD_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"  # noqa: S105
PASSWORD_LENGTH = 12
TOTP_STEP = 30
# An account's ID number appears masked in the audit chain's diffs.
MASKS = {"id_number": mask_id}


class SignInRefused(Exception):
    """Shown to the person as it is: the message says what happened and what to do."""


def generate_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def lock_message(until) -> str:
    return _(
        "Too many failed attempts. Sign-in is locked until %(time)s; please try again then."
    ) % {"time": time_format(timezone.localtime(until), "H:i")}


# ── sign-in ───────────────────────────────────────────────────────────────────────────


def check_password(request: HttpRequest, username: str, password: str) -> StaffUser:
    """The first factor. Refuses locked user names and addresses before checking anything."""
    user_key, ip_key = username.strip().lower(), client_ip(request) or "unknown"
    for scope, key in (("staff-user", user_key), ("staff-ip", ip_key)):
        until = throttle.locked_until(scope, key)
        if until:
            raise SignInRefused(lock_message(until))
    user = authenticate(request, username=username.strip(), password=password)
    if user is None:
        known = StaffUser.objects.filter(username__iexact=user_key).first()
        record(Action.LOGIN_FAILED, request=request, actor=known, label=user_key)
        locks = [
            throttle.record_failure(s, k)
            for s, k in (("staff-user", user_key), ("staff-ip", ip_key))
        ]
        until = max((u for u in locks if u), default=None)
        if until:
            record(
                Action.LOCKED_OUT,
                request=request,
                actor=known,
                label=user_key,
                until=until.isoformat(),
            )
            raise SignInRefused(lock_message(until))
        raise SignInRefused(_("The user name or password is wrong."))
    throttle.reset("staff-user", user_key)
    return user


def totp_step_accepted(user: StaffUser, code: str, secret: str | None = None) -> int | None:
    """The time step `code` belongs to (this one or a neighbour, for clock drift), or None.
    A step at or before the last accepted one is refused: a code works once."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp, now_step = pyotp.TOTP(secret or user.totp_secret), int(time.time()) // TOTP_STEP
    for step in (now_step, now_step - 1, now_step + 1):
        if secrets.compare_digest(totp.at(step * TOTP_STEP), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return None
            return step
    return None


def check_totp(request: HttpRequest, user: StaffUser, code: str) -> None:
    """The second factor, throttled per account."""
    key = user.username.lower()
    until = throttle.locked_until("staff-totp", key)
    if until:
        raise SignInRefused(lock_message(until))
    with transaction.atomic():
        user = StaffUser.objects.select_for_update().get(pk=user.pk)
        step = totp_step_accepted(user, code)
        if step is not None:
            user.totp_last_step = step
            user.save(update_fields=["totp_last_step"])
            throttle.reset("staff-totp", key)
            return
    record(Action.TOTP_FAILED, request=request, actor=user)
    until = throttle.record_failure("staff-totp", key)
    if until:
        record(Action.LOCKED_OUT, request=request, actor=user, until=until.isoformat())
        raise SignInRefused(lock_message(until))
    raise SignInRefused(
        _("The authenticator code is wrong or was already used. Enter the current code.")
    )


@transaction.atomic
def complete_setup(
    request: HttpRequest,
    user: StaffUser,
    *,
    real_name: str,
    id_number: str,
    new_password: str,
    totp_secret: str,
    code: str,
) -> dict[str, str]:
    """Real-name authentication at first sign-in: the person confirms the name and ID
    number the level above entered, chooses a new password and enrols an authenticator.
    Returns errors by field; nothing is saved unless everything is right."""
    errors: dict[str, str] = {}
    user = StaffUser.objects.select_for_update().get(pk=user.pk)
    try:
        same_id = parse_resident_id(id_number).number == user.id_number.upper()
    except InvalidIdNumber as e:
        errors["id_number"], same_id = str(e.message), True
    if clean_text(real_name) != user.real_name or not same_id:
        errors["real_name"] = _(
            "The name and ID number do not match what your office entered. Check them, or ask"
            " the level above to correct your account."
        )
    if user.check_password(new_password):
        errors["new_password"] = _("Choose a new password, not the initial one.")
    else:
        try:
            validate_password(new_password, user)
        except ValidationError as e:
            errors["new_password"] = " ".join(e.messages)
    step = totp_step_accepted(user, code, secret=totp_secret)
    if step is None:
        errors["code"] = _(
            "The authenticator code is wrong. Scan the QR code again and enter the current code."
        )
    if errors:
        return errors
    user.set_password(new_password)
    user.totp_secret, user.totp_last_step = totp_secret, step
    user.real_name_verified_at = timezone.now()
    user.save()
    record(Action.REAL_NAME_VERIFIED, request=request, actor=user, target=user)
    record(Action.PASSWORD_CHANGED, request=request, actor=user, target=user)
    return {}


def provisioning_uri(user: StaffUser, secret: str) -> str:
    issuer = getattr(settings, "GAOKAO_TOTP_ISSUER", "gaokao")
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=issuer)


# ── accounts managed by the level above ─────────────────────────────────────────────────

MANAGED_ROLE = {Role.PROVINCE: Role.CITY, Role.CITY: Role.COUNTY, Role.COUNTY: Role.POINT}
USERNAME_PREFIX = {Role.CITY: "sz", Role.COUNTY: "xq", Role.POINT: "bmd"}


def manageable_units(actor: StaffUser) -> list[Region | RegistrationPoint]:
    """The open units one level below the actor's own: its cities, counties or points (a
    closed unit gets no new accounts, and no account moves to it)."""
    role = MANAGED_ROLE.get(actor.role)
    if role is None:
        return []
    if role == Role.POINT:
        points = RegistrationPoint.objects.visible_to(actor).filter(county=actor.region)
        return list(points.filter(is_active=True))
    return list(Region.objects.visible_to(actor).filter(parent=actor.region, is_active=True))


def managed_accounts(actor: StaffUser):
    """Accounts the actor manages: those of the units directly below."""
    role = MANAGED_ROLE.get(actor.role)
    if role is None:
        return StaffUser.objects.none()
    return StaffUser.objects.visible_to(actor).filter(role=role).select_related("region", "point")


def username_for(unit: Region | RegistrationPoint) -> str:
    """A predictable user name from the unit's code: sz430100, xq430102, bmd0102001; a
    second account of the same unit gets -2, then -3…"""
    if isinstance(unit, RegistrationPoint):
        base = f"{USERNAME_PREFIX[Role.POINT]}{unit.code}"
    else:
        base = f"{USERNAME_PREFIX[Role.CITY if unit.level == 'city' else Role.COUNTY]}{unit.code}"
    taken = set(
        StaffUser.objects.filter(username__istartswith=base).values_list("username", flat=True)
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


@dataclass
class IssuedCredential:
    """A password issued once: shown on the screen and printed on a slip, never stored."""

    user: StaffUser
    password: str


@transaction.atomic
def create_account(
    actor: StaffUser,
    unit: Region | RegistrationPoint,
    *,
    real_name: str,
    id_number: str,
    mobile: str,
    request: HttpRequest | None = None,
    reason: str = "",
) -> IssuedCredential:
    """A new account of `unit` with a one-time password; the audit event holds the account
    as a diff (the ID number masked) and the reason, if one was given."""
    if unit not in manageable_units(actor):
        raise ValidationError(_("You can only create accounts for the units directly below yours."))
    role = MANAGED_ROLE[actor.role]
    # Lock the unit so two offices creating accounts at once do not pick the same name.
    unit.__class__.objects.select_for_update().get(pk=unit.pk)
    user = StaffUser(
        username=username_for(unit),
        role=role,
        unit=unit,
        real_name=clean_text(real_name),  # no bidi override or zero-width tricks in names
        id_number=id_number,
        mobile=mobile.strip(),
    )
    with contextlib.suppress(InvalidIdNumber):  # full_clean() reports it on the field
        user.id_number = parse_resident_id(id_number).number
    password = generate_password()
    user.set_password(password)
    user.full_clean()
    user.save()
    record(
        Action.ACCOUNT_CREATED,
        request=request,
        actor=actor,
        unit=unit,
        target=user,
        username=user.username,
        changes=config.diff({}, config.snapshot(user), masked=MASKS),
        reason=" ".join(reason.split())[: config.REASON_LIMIT],
    )
    return IssuedCredential(user, password)


@transaction.atomic
def enable_points(
    actor: StaffUser, rows: list[dict], request: HttpRequest | None = None
) -> list[IssuedCredential]:
    """A county enables its points' users in one step: one account per row (point,
    real_name, id_number, mobile). All or nothing: one bad row saves none."""
    if actor.role != Role.COUNTY:
        raise ValidationError(_("Only a county office enables registration point accounts."))
    return [
        create_account(
            actor,
            row["point"],
            real_name=row["real_name"],
            id_number=row["id_number"],
            mobile=row["mobile"],
            request=request,
        )
        for row in rows
    ]


def _managed_or_refuse(actor: StaffUser, account: StaffUser) -> StaffUser:
    if not managed_accounts(actor).filter(pk=account.pk).exists():
        raise ValidationError(_("This account is not managed by your office."))
    return StaffUser.objects.select_for_update().get(pk=account.pk)


def _record_account_change(
    action: str, actor: StaffUser, account: StaffUser, changes: dict, reason: str, request
) -> None:
    """One event of the audit chain for a change to `account`: the diff, who and why. It
    belongs to the account's unit, so that unit's history shows it."""
    config.record_change(
        action, account, changes, reason=reason, by=actor, request=request, unit=account.unit
    )


def _optional_reason(reason: str) -> str:
    return " ".join((reason or "").split())[: config.REASON_LIMIT]


@transaction.atomic
def reset_password(
    actor: StaffUser, account: StaffUser, request: HttpRequest | None = None, reason: str = ""
) -> IssuedCredential:
    """A new initial password (a new slip); the person authenticates again at next sign-in."""
    account = _managed_or_refuse(actor, account)
    before = config.snapshot(account)
    password = generate_password()
    account.set_password(password)
    account.real_name_verified_at = None
    account.save()
    throttle.reset("staff-user", account.username.lower())
    # The password itself is never in a diff: only that a new one was issued.
    changes = {
        "password": ["", "reset"],
        **config.diff(before, config.snapshot(account), masked=MASKS),
    }
    _record_account_change(
        Action.PASSWORD_RESET, actor, account, changes, _optional_reason(reason), request
    )
    return IssuedCredential(account, password)


@transaction.atomic
def reset_totp(
    actor: StaffUser, account: StaffUser, request: HttpRequest | None = None, reason: str = ""
) -> None:
    """A lost authenticator: the person enrols a new one at next sign-in."""
    account = _managed_or_refuse(actor, account)
    enrolled = bool(account.totp_secret)
    account.totp_secret, account.totp_last_step = "", None
    account.save(update_fields=["totp_secret", "totp_last_step"])
    throttle.reset("staff-totp", account.username.lower())
    changes = {"authenticator": [enrolled, False]}
    _record_account_change(
        Action.TOTP_RESET, actor, account, changes, _optional_reason(reason), request
    )


@transaction.atomic
def set_active(
    actor: StaffUser,
    account: StaffUser,
    active: bool,
    request: HttpRequest | None = None,
    reason: str = "",
) -> None:
    """Enable or disable an account. Disabling needs a reason (kept in the audit chain)."""
    reason = _optional_reason(reason) if active else config.clean_reason(reason)
    account = _managed_or_refuse(actor, account)
    before = config.snapshot(account)
    account.is_active = active
    account.save(update_fields=["is_active"])
    action = Action.ACCOUNT_ENABLED if active else Action.ACCOUNT_DISABLED
    changes = config.diff(before, config.snapshot(account), masked=MASKS)
    _record_account_change(action, actor, account, changes, reason, request)


@transaction.atomic
def change_account(
    actor: StaffUser,
    account: StaffUser,
    *,
    unit: Region | RegistrationPoint,
    mobile: str,
    reason: str,
    request: HttpRequest | None = None,
) -> dict[str, list]:
    """Move an account to another unit directly below the actor's (its role stays the
    one that level manages) or correct its mobile number; the reason is required. The
    real name and ID number are the person's own, confirmed at real-name authentication:
    a wrong one is a new account. Returns the diff (empty: nothing changed or recorded)."""
    reason = config.clean_reason(reason)
    account = _managed_or_refuse(actor, account)
    if unit != account.unit and unit not in manageable_units(actor):
        raise ValidationError(_("Choose an open unit directly below yours."))
    before = config.snapshot(account)
    account.unit, account.mobile = unit, mobile.strip()
    account.full_clean(exclude=["password"])
    return config.save_audited(
        account,
        reason=reason,
        by=actor,
        request=request,
        before=before,
        masked=MASKS,
        unit=account.unit,
    )
