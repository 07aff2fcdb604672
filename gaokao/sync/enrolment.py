"""Enrolling a point client and knowing it again (R4, S3): a point account signs in once
with its password and authenticator code and the device gets a bearer token; from then on
the token names the device, until it is revoked."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.accounts.models import Role
from gaokao.accounts.services import SignInRefused, check_password, check_totp
from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.numbering.services import release_blocks
from gaokao.sync import numbers
from gaokao.sync.errors import Forbidden, SyncRefused, Unauthorised
from gaokao.sync.fields import current_season, has_control
from gaokao.sync.keys import InvalidKey, parse_public_key
from gaokao.sync.models import Device

SEEN_EVERY = dt.timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _device_name(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > 60 or has_control(name):
        raise SyncRefused(
            _("Name the point client (at most 60 characters), e.g. the PC's place."),
            code="device_name",
        )
    return name


def enrol(
    request: HttpRequest,
    username: Any,
    password: Any,
    totp: Any,
    device_name: Any,
    public_key_b64: Any,
) -> tuple[Device, str]:
    """Enrol a point client for the point of the account that signs in (S3): password and
    authenticator code, throttled and audited like the office web's sign-in. Returns the
    device and its bearer token, which is shown this once; only its SHA-256 is kept."""
    name = _device_name(device_name)
    try:
        public_key = parse_public_key(public_key_b64)
    except InvalidKey as e:
        raise SyncRefused(
            _("The public key must be a valid Ed25519 key: 32 bytes in Base64."),
            code="public_key",
        ) from e
    credentials = (username, password, totp)
    if not all(isinstance(v, str) and len(v) <= 256 and not has_control(v) for v in credentials):
        raise Unauthorised(_("The user name or password is wrong."), code="credentials")
    try:
        user = check_password(request, username, password)
        if user.role != Role.POINT:
            raise Forbidden(
                _("Only a registration point's account enrols a point client."), code="role"
            )
        if user.needs_setup:
            raise Forbidden(
                _(
                    "Complete the real-name authentication in the office web first, then"
                    " enrol the point client."
                ),
                code="setup",
            )
        check_totp(request, user, totp)
    except SignInRefused as e:
        raise Unauthorised(str(e), code="credentials") from e
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = Device.objects.create(
            point=user.point,
            name=name,
            public_key=public_key,
            token_hash=token_hash(token),
            enrolled_by=user,
        )
        # Its own block of numbers of the point's ranges (issue 20), reserved at once.
        blocks = numbers.blocks_of(device, current_season())
        record(
            Action.DEVICE_ENROLLED,
            actor=user,
            request=request,
            unit=user.point,
            target=device,
            device=str(device.pk),
            name=name,
            blocks=[str(block) for block in blocks],
        )
    return device, token


def authenticate(token: Any) -> Device | None:
    """The active device this bearer token belongs to, or None. A device stops working
    when it is revoked or when the account that enrolled it is disabled."""
    if not isinstance(token, str) or not 16 <= len(token) <= 128:
        return None
    device = (
        Device.objects.select_related("point__county", "enrolled_by")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if device is None or not device.enrolled_by.is_active:
        return None
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at >= SEEN_EVERY:
        Device.objects.filter(pk=device.pk).filter(
            Q(last_seen_at__isnull=True) | Q(last_seen_at__lte=now - SEEN_EVERY)
        ).update(last_seen_at=now)
        device.last_seen_at = now
    return device


def may_manage(user: Any) -> bool:
    """Point clients are managed by their point and its county."""
    return getattr(user, "role", None) in (Role.POINT, Role.COUNTY)


@transaction.atomic
def revoke(device: Device, by: Any, request: HttpRequest | None = None) -> Device:
    """Stop a point client: its token no longer signs in and its bundles are refused."""
    if not may_manage(by) or not Device.objects.visible_to(by).filter(pk=device.pk).exists():
        raise Forbidden(_("Your office does not manage this point client."), code="forbidden")
    device = Device.objects.select_for_update().select_related("point").get(pk=device.pk)
    if device.revoked_at is not None:
        raise SyncRefused(_("This point client is revoked already."), code="revoked")
    device.revoked_at = timezone.now()
    device.save(update_fields=["revoked_at"])
    # Its numbers are never handed out again (gaokao.numbering.services.release_blocks).
    release_blocks(device.pk)
    record(
        Action.DEVICE_REVOKED,
        actor=by,
        request=request,
        unit=device.point,
        target=device,
        device=str(device.pk),
    )
    return device
