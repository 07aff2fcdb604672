"""Enrolling a point client with the central server (R4): a point account's password and
authenticator code, a new Ed25519 key for this device, the server's bearer token, then
the first pull of the point's configuration and candidates.

The key stays in ``DATA_DIR/client/device_ed25519.pem`` (owner-only); the server keeps its
public half and signs nothing with it: it checks the disc bundles this device writes.

Signing in to the client's own office web needs a local account: the enrolling person's
user name and password, and an authenticator key of this PC (the server never gives away
the account's own key). It is made once the first pull has brought the point.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

import pyotp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _

from gaokao.accounts.models import StaffUser
from gaokao.bundles.format import x25519_public_key
from gaokao.client.local import save_peers
from gaokao.client.models import ClientState, Outbox
from gaokao.client.sync import Api, Report, SyncError, detail, pull
from gaokao.payments.gateways.base import Transport

TOTP_ISSUER = "gaokao 报名点客户端"


def key_path() -> Path:
    return Path(settings.DATA_DIR) / "client" / "device_ed25519.pem"


def load_device_key() -> Ed25519PrivateKey:
    path = key_path()
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as e:
        raise SyncError(
            _("The device key %(path)s cannot be read: %(error)s") % {"path": path, "error": e}
        ) from e
    if not isinstance(key, Ed25519PrivateKey):
        raise SyncError(_("The device key %(path)s is not an Ed25519 key.") % {"path": path})
    return key


def _write_key(key: Ed25519PrivateKey) -> None:
    path = key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def _bundle_key(data: dict) -> str:
    key = str(data.get("bundle_public_key") or "")
    try:
        x25519_public_key(key)
    except ValueError:
        return ""  # an older server: the first pull brings it
    return key


@dataclass
class Enrolment:
    state: ClientState
    username: str
    totp_secret: str
    provisioning_uri: str
    pull_error: str = ""
    pulled: int = 0


def enrol(
    *,
    server: str,
    username: str,
    password: str,
    totp: str,
    device_name: str,
    transport: Transport | None = None,
) -> Enrolment:
    """Enrol this installation; raises SyncError with the server's reason if refused."""
    if not server.startswith(("https://", "http://")):
        raise SyncError(_("The server address must begin with https:// (or http://)."))
    if Outbox.objects.filter(state=Outbox.State.PENDING).exists():
        raise SyncError(
            _(
                "This point client still has work the server has not received. Sync it"
                " (gaokao client sync) or write it to a bundle (gaokao client export) first."
            )
        )
    key = Ed25519PrivateKey.generate()
    public_key = base64.b64encode(key.public_key().public_bytes_raw()).decode("ascii")
    status, data = Api(server, "", transport).call(
        "POST",
        "/enrol",
        {
            "username": username,
            "password": password,
            "totp": totp,
            "device_name": device_name,
            "public_key": public_key,
        },
        device_refused=False,
    )
    device_id = data.get("device") or data.get("device_id")
    if status != 200 or not data.get("token") or not device_id:
        raise SyncError(
            _("The server refused the enrolment: %(detail)s") % {"detail": detail(data, status)}
        )
    point = data.get("point")
    point_code = str(point.get("code") if isinstance(point, dict) else point or "")
    if isinstance(data.get("peers"), dict):
        save_peers(data["peers"])  # which PC of the point this is (issue 20)
    _write_key(key)
    existing = StaffUser.objects.filter(username__iexact=username).first()
    secret = (existing.totp_secret if existing else "") or pyotp.random_base32()
    with transaction.atomic():
        previous = ClientState.load()
        same_point = previous is not None and previous.point_code == point_code
        state, _created = ClientState.objects.update_or_create(
            pk=1,
            defaults={
                "server_url": server.rstrip("/"),
                "device_id": device_id,
                "token": data["token"],
                "username": username,
                "point_code": point_code,
                "cursor": previous.cursor if same_point else "",
                "config_sha256": previous.config_sha256 if same_point else "",
                # The enrolment (the point account's password and code) is what the
                # bundle key is trusted by; a pull that announces another is flagged.
                "bundle_public_key": _bundle_key(data),
                "bundle_key_offered": "",
                "local_account": {
                    "username": username,
                    "password_hash": make_password(password),
                    "totp_secret": secret,
                    "real_name": str(data.get("real_name") or ""),
                },
            },
        )
    enrolment = Enrolment(
        state=state,
        username=username,
        totp_secret=secret,
        provisioning_uri=pyotp.TOTP(secret).provisioning_uri(
            name=username, issuer_name=TOTP_ISSUER
        ),
    )
    report = Report()
    try:
        pull(Api(state.server_url, state.token, transport), state, report)
    except SyncError as e:
        enrolment.pull_error = e.message
    enrolment.pulled = report.counts.get("pulled", 0)
    enrolment.state = ClientState.load()
    return enrolment
