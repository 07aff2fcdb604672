"""R4, S3: a point client is enrolled by a point account (password and authenticator code,
throttled like the office sign-in) and then authenticates with its token alone; revoked,
it is refused."""

import base64

import pyotp
import pytest
from django.utils import timezone

from gaokao.audit.models import Action, AuditEvent
from gaokao.sync import enrolment, errors
from gaokao.sync.models import Device
from gaokao.sync.tests.conftest import enrolled
from gaokao.testing.factories import PASSWORD
from gaokao.testing.sync import Api, make_device, public_key_b64

pytestmark = pytest.mark.django_db


def enrol_body(user, **overrides):
    return {
        "username": user.username,
        "password": PASSWORD,
        "totp": pyotp.TOTP(user.totp_secret).now() if user.totp_secret else "000000",
        "device_name": "教务处电脑1",
        "public_key": public_key_b64(),
    } | overrides


def enrol(client, body):
    return Api(client, token=None).post("/enrol", body)


def test_r4_a_point_account_enrols_a_client_that_then_pulls(client, season, point, point_user):
    body = enrol_body(enrolled(point_user))
    answer = enrol(client, body)

    assert answer.status_code == 200, answer.content
    data = answer.json()
    device = Device.objects.get()
    assert data["device"] == str(device.pk) and data["point"]["code"] == point.code
    assert (device.point, device.enrolled_by, device.name) == (point, point_user, "教务处电脑1")
    assert device.public_key == body["public_key"]
    token = data["token"]
    assert len(token) >= 40 and token not in device.token_hash  # only the hash is kept
    assert device.token_hash == enrolment.token_hash(token)
    event = AuditEvent.objects.get(action=Action.DEVICE_ENROLLED)
    assert (event.actor, event.point) == (point_user, point)

    pulled = Api(client, token=token).get("/pull")
    assert pulled.status_code == 200
    assert pulled.json()["config"]["point"]["code"] == point.code
    device.refresh_from_db()
    assert device.last_seen_at is not None


def test_r4_a_wrong_password_is_refused_and_throttled(client, season, point_user):
    user = enrolled(point_user)
    for _ in range(5):
        answer = enrol(client, enrol_body(user, password="wrong password!"))
        assert answer.status_code == 401
    locked = enrol(client, enrol_body(user))  # the right password, but locked now
    assert locked.status_code == 401
    assert "locked" in locked.json()["detail"] or "锁定" in locked.json()["detail"]
    assert not Device.objects.exists()
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 5
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT).exists()


def test_r4_a_wrong_authenticator_code_is_refused_and_throttled(client, season, point_user):
    user = enrolled(point_user)
    for _ in range(5):
        assert enrol(client, enrol_body(user, totp="000000")).status_code == 401
    assert enrol(client, enrol_body(user)).status_code == 401  # locked
    assert not Device.objects.exists()
    assert AuditEvent.objects.filter(action=Action.TOTP_FAILED).count() == 5


def test_r4_a_used_authenticator_code_is_refused(client, season, point_user):
    user = enrolled(point_user)
    code = pyotp.TOTP(user.totp_secret).now()
    assert enrol(client, enrol_body(user, totp=code)).status_code == 200
    assert enrol(client, enrol_body(user, totp=code)).status_code == 401
    assert Device.objects.count() == 1


def test_r4_only_point_accounts_enrol(client, season, county_user, city_user):
    for user in (county_user, city_user):
        answer = enrol(client, enrol_body(enrolled(user)))
        assert answer.status_code == 403
        assert answer.json()["detail"]
    assert not Device.objects.exists()


def test_r4_an_account_without_real_name_authentication_is_refused(client, season, point_user):
    answer = enrol(client, enrol_body(point_user))  # never completed its first sign-in
    assert answer.status_code == 403
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    "key",
    [
        "not base64!",
        base64.b64encode(b"\x01" * 31).decode(),  # 31 bytes
        base64.b64encode(b"\x01" * 33).decode(),
        base64.b64encode((1).to_bytes(32, "little")).decode(),  # the identity: small order
        base64.b64encode(b"\x00" * 32).decode(),  # small order
        base64.b64encode(b"\x02" + b"\x00" * 31).decode(),  # not a point of the curve
        "",
    ],
)
def test_r4_a_bad_public_key_is_refused_before_the_password(client, season, point_user, key):
    user = enrolled(point_user)
    answer = enrol(client, enrol_body(user, public_key=key))
    assert answer.status_code == 400  # within the schema's length: refused by enrolment
    assert answer.json()["detail"]
    assert not Device.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.LOGIN_FAILED).exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"username": "bmd\x00x"},
        {"password": "pass\x00word"},
        {"totp": "\x1b[2J"},
        {"device_name": "PC\u202e1"},
        {"device_name": ""},
        {"device_name": "电" * 61},
        {"username": 12345},
        {"username": "u" * 151},
        {"public_key": ["a"]},
    ],
)
def test_r4_hostile_enrolment_bodies_get_4xx(client, season, point_user, overrides):
    answer = enrol(client, enrol_body(enrolled(point_user), **overrides))
    assert 400 <= answer.status_code < 500
    assert isinstance(answer.json()["detail"], str)
    assert not Device.objects.exists()


def test_r4_a_revoked_client_gets_401(client, season, point, point_user, county_user):
    device = make_device(point, point_user)
    api = Api(client)
    assert api.get("/pull").status_code == 200
    enrolment.revoke(device, county_user)
    for answer in (api.get("/pull"), api.push(), api.get("/conflicts")):
        assert answer.status_code == 401
        assert answer.json()["detail"]


def test_r4_a_client_stops_when_its_account_is_disabled(client, season, point, point_user):
    make_device(point, point_user)
    point_user.is_active = False
    point_user.save()
    assert Api(client).get("/pull").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["", "Device", "Bearer " + "x" * 40, "Device " + "x" * 40, "Device \x00", "Device " + "é" * 50],
)
def test_r4_without_a_valid_token_nothing_is_answered(client, season, device, header):
    answer = client.get("/api/v1/pull", HTTP_AUTHORIZATION=header)
    assert answer.status_code == 401


def test_r4_last_seen_is_written_at_most_once_a_minute(client, season, device, clock):
    api = Api(client)
    api.get("/conflicts")
    device.refresh_from_db()
    first = device.last_seen_at
    api.get("/conflicts")
    device.refresh_from_db()
    assert device.last_seen_at == first
    clock.shift(61)
    api.get("/conflicts")
    device.refresh_from_db()
    assert device.last_seen_at > first


def test_r4_revoking_is_audited_and_happens_once(season, device, point_user, county_user):
    enrolment.revoke(device, point_user)
    device.refresh_from_db()
    assert device.revoked_at is not None and device.revoked_at <= timezone.now()
    with pytest.raises(errors.SyncRefused):
        enrolment.revoke(device, county_user)
    assert AuditEvent.objects.filter(action=Action.DEVICE_REVOKED).count() == 1


def test_r4_another_countys_staff_cannot_revoke(season, device, other_county_user, city_user):
    for user in (other_county_user, city_user):
        with pytest.raises(errors.Forbidden):
            enrolment.revoke(device, user)
    device.refresh_from_db()
    assert device.revoked_at is None
