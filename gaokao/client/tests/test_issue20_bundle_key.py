"""Issue 20, item 3: the server's bundle key comes with the configuration. It is given at
enrolment and in every pull, kept on the client, and checked: a client that was only ever
enrolled and synced writes a disc bundle without --server-key, and the county imports it;
a pull that announces another key is flagged, never trusted silently."""

import base64
import io

import pyotp
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.core.management import call_command
from django.utils import timezone

from gaokao.bundles import format as bf
from gaokao.bundles import services as bundles
from gaokao.candidates.models import Candidate
from gaokao.client import sync
from gaokao.client.enrolment import enrol
from gaokao.client.export import export_bundle
from gaokao.client.models import ClientState
from gaokao.client.sync import SyncError
from gaokao.client.tests.conftest import SERVER, Recorder, create_entry, server
from gaokao.testing.factories import PASSWORD
from gaokao.testing.sync import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled_for_real(client_mode, point_user, season, point, number_range):
    """This PC enrolled the way the point's technician does it, then synced once: no key
    given by hand anywhere."""
    point_user.totp_secret = pyotp.random_base32()
    point_user.real_name_verified_at = timezone.now()
    point_user.save()
    result = enrol(
        server=SERVER,
        username=point_user.username,
        password=PASSWORD,
        totp=pyotp.TOTP(point_user.totp_secret).now(),
        device_name="教务处电脑1",
        transport=server,
    )
    assert result.pull_error == ""
    assert sync.sync_once(server).ok
    return ClientState.load()


def other_key() -> str:
    raw = X25519PrivateKey.generate().public_key().public_bytes_raw()
    return base64.b64encode(raw).decode()


def test_e5_issue20_enrolment_and_pull_give_the_bundle_key(client, device, season):
    pulled = Api(client).get("/pull").json()
    assert pulled["config"]["bundle_public_key"] == bf.server_public_key_b64()


def test_e5_issue20_the_enrolment_answer_carries_the_key_even_if_the_first_pull_fails(
    client_mode, point_user, season, point
):
    point_user.totp_secret = pyotp.random_base32()
    point_user.real_name_verified_at = timezone.now()
    point_user.save()
    transport = Recorder().fail(2, "before")  # the network goes after the enrolment

    result = enrol(
        server=SERVER,
        username=point_user.username,
        password=PASSWORD,
        totp=pyotp.TOTP(point_user.totp_secret).now(),
        device_name="教务处电脑1",
        transport=transport,
    )

    assert result.pull_error
    assert ClientState.load().bundle_public_key == bf.server_public_key_b64()


def test_e5_issue20_a_client_only_enrolled_and_synced_exports_without_server_key(
    enrolled_for_real, point, county_user, tmp_path
):
    assert enrolled_for_real.bundle_public_key == bf.server_public_key_b64()
    entry = create_entry(point, 70)
    path = tmp_path / "数据盘.gkb"

    out = io.StringIO()
    call_command("client", "export", str(path), stdout=out)  # no --server-key

    assert path.exists(), out.getvalue()
    result = bundles.apply(path.read_bytes(), county_user)
    assert result.counts["applied"] == 1, result
    assert Candidate.objects.get(pk=entry.candidate_id).point == point


def test_e5_issue20_a_different_key_in_a_pull_is_flagged_not_trusted(
    enrolled_for_real, point, monkeypatch, tmp_path
):
    trusted = enrolled_for_real.bundle_public_key
    offered = other_key()
    monkeypatch.setattr("gaokao.api.v1.server_public_key_b64", lambda: offered)

    assert sync.sync_once(server).ok  # the sync itself goes on

    state = ClientState.load()
    assert (state.bundle_public_key, state.bundle_key_offered) == (trusted, offered)
    out = io.StringIO()
    call_command("client", "status", stdout=out)
    assert "new bundle key" in out.getvalue()
    create_entry(point, 71)
    with pytest.raises(SyncError, match="different from the one this PC was enrolled with"):
        export_bundle(tmp_path / "a.gkb")

    # A person confirms the key the province publishes: it is trusted from then on.
    export_bundle(tmp_path / "b.gkb", server_key_b64=offered)
    state = ClientState.load()
    assert (state.bundle_public_key, state.bundle_key_offered) == (offered, "")


def test_e5_issue20_a_pull_that_names_the_trusted_key_again_clears_the_flag(
    enrolled_for_real, monkeypatch
):
    trusted = enrolled_for_real.bundle_public_key
    monkeypatch.setattr("gaokao.api.v1.server_public_key_b64", other_key)
    sync.sync_once(server)
    assert ClientState.load().bundle_key_offered
    monkeypatch.setattr("gaokao.api.v1.server_public_key_b64", lambda: trusted)

    assert sync.sync_once(server).ok

    state = ClientState.load()
    assert (state.bundle_public_key, state.bundle_key_offered) == (trusted, "")


def test_e5_issue20_an_invalid_key_in_the_configuration_stops_the_pull(
    enrolled_for_real, monkeypatch
):
    monkeypatch.setattr("gaokao.api.v1.server_public_key_b64", lambda: "not a key")

    report = sync.sync_once(server)

    assert not report.ok and "configuration cannot be used" in report.error
    assert ClientState.load().bundle_public_key == bf.server_public_key_b64()
