"""R4: `gaokao client …` — enrolment with the point account's password and authenticator
code, status, sync; none of it runs on the central server."""

import io
import stat

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gaokao.audit.models import Action, AuditEvent
from gaokao.client import capture, sync
from gaokao.client.enrolment import enrol, key_path, load_device_key
from gaokao.client.models import ClientState, Known, Outbox
from gaokao.client.sync import SyncError
from gaokao.client.tests.conftest import SERVER, create_entry, server
from gaokao.sync.models import Device
from gaokao.testing.factories import PASSWORD, CandidateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_user(point_user):
    point_user.totp_secret = pyotp.random_base32()
    point_user.real_name_verified_at = timezone.now()
    point_user.save()
    return point_user


def code_for(user):
    return pyotp.TOTP(user.totp_secret).now()


@pytest.mark.parametrize(
    "action", [["status"], ["sync"], ["export", "x.gkb"], ["serve"], ["run"], ["version"]]
)
def test_r4_the_commands_refuse_to_run_on_the_central_server(action):
    with pytest.raises(CommandError, match="GAOKAO_MODE=client"):
        call_command("client", *action)


def test_r4_enrolment_makes_a_key_stores_the_token_and_pulls(
    client_mode, ready_user, season, point, number_range
):
    with capture.from_server():
        candidate = CandidateFactory(season=season, point=point)

    result = enrol(
        server=SERVER,
        username=ready_user.username,
        password=PASSWORD,
        totp=code_for(ready_user),
        device_name="教务处电脑1",
        transport=server,
    )

    device = Device.objects.get()
    assert device.point == point and device.name == "教务处电脑1"
    state = ClientState.load()
    assert state.device_id == device.pk and state.point_code == point.code and state.token
    assert state.cursor  # the first pull ran
    assert result.pull_error == "" and result.pulled == 1
    assert Known.objects.filter(candidate_id=candidate.pk).exists()
    assert stat.S_IMODE(key_path().stat().st_mode) == 0o600
    public = load_device_key().public_key().public_bytes_raw()
    import base64

    assert device.public_key == base64.b64encode(public).decode()
    assert result.provisioning_uri.startswith("otpauth://totp/")
    assert AuditEvent.objects.filter(action=Action.DEVICE_ENROLLED).count() == 1


def test_r4_a_wrong_code_is_refused_with_the_servers_reason(client_mode, ready_user, season):
    with pytest.raises(SyncError, match="authenticator code is wrong"):
        enrol(
            server=SERVER,
            username=ready_user.username,
            password=PASSWORD,
            totp="000000",
            device_name="PC",
            transport=server,
        )
    assert ClientState.load() is None
    assert not key_path().exists()
    assert Device.objects.count() == 0


def test_r4_an_office_account_cannot_enrol_a_client(client_mode, county_user):
    county_user.totp_secret = pyotp.random_base32()
    county_user.real_name_verified_at = timezone.now()
    county_user.save()
    with pytest.raises(SyncError, match="registration point's account"):
        enrol(
            server=SERVER,
            username=county_user.username,
            password=PASSWORD,
            totp=code_for(county_user),
            device_name="PC",
            transport=server,
        )


def test_r4_enrolment_is_refused_while_work_waits(client_mode, enrolled, point, ready_user):
    create_entry(point, 1)
    with pytest.raises(SyncError, match="still has work"):
        enrol(
            server=SERVER,
            username=ready_user.username,
            password=PASSWORD,
            totp=code_for(ready_user),
            device_name="PC",
            transport=server,
        )


def test_r4_enrol_command_reads_password_and_code_from_stdin(
    client_mode, ready_user, season, point, monkeypatch
):
    monkeypatch.setattr(sync, "urllib_transport", server)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n{code_for(ready_user)}\n"))
    out = io.StringIO()

    call_command(
        "client",
        "enrol",
        "--server",
        SERVER,
        "--username",
        ready_user.username,
        "--password-stdin",
        stdout=out,
    )

    assert ClientState.load().point_code == point.code
    text = out.getvalue()
    assert point.code in text and "otpauth://" in text


def test_r4_server_address_must_be_http(client_mode, ready_user):
    with pytest.raises(SyncError, match="https://"):
        enrol(
            server="file:///etc/passwd",
            username=ready_user.username,
            password=PASSWORD,
            totp="123456",
            device_name="PC",
            transport=server,
        )


def test_r4_sync_and_status_commands(
    client_mode, enrolled, season, point, number_range, monkeypatch
):
    monkeypatch.setattr(sync, "urllib_transport", server)
    create_entry(point, 3)
    refused = create_entry(point, 150)  # outside the range
    out = io.StringIO()

    call_command("client", "status", stdout=out)
    assert "2 changes" in out.getvalue()

    call_command("client", "sync", stdout=out)
    assert Outbox.objects.get().pk == refused.pk

    out = io.StringIO()
    call_command("client", "status", stdout=out)
    text = out.getvalue()
    assert point.code in text and "0 changes" in text
    assert "Needs attention: 1" in text and "number ranges" in text


def test_r4_a_failed_sync_command_says_why(client_mode, enrolled, monkeypatch):
    def unreachable(*args):
        raise sync.GatewayError("connection refused")

    monkeypatch.setattr(sync, "urllib_transport", unreachable)
    with pytest.raises(CommandError, match="cannot be reached"):
        call_command("client", "sync")


def test_r4_serve_only_on_loopback(client_mode, enrolled):
    with pytest.raises(CommandError, match=r"127\.0\.0\.1"):
        call_command("client", "serve", "--addrport", "0.0.0.0:8001")


def test_r4_status_of_a_client_not_enrolled(client_mode):
    out = io.StringIO()
    call_command("client", "status", stdout=out)
    assert "Not enrolled" in out.getvalue()
