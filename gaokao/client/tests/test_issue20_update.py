"""Issue 20, item 6: the update check. The centre publishes its client version (GET
/api/v1/version); at each sync the client compares it with its own and, when the centre's
is newer, says to ask the county for the new package. `gaokao demo --code` on a client says
why it has no demo accounts instead of a raw DoesNotExist."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from gaokao.client import sync, update
from gaokao.client.tests.conftest import server
from gaokao.ops.version import app_version
from gaokao.payments.testing import client_transport

pytestmark = pytest.mark.django_db


def test_r4_issue20_the_api_publishes_the_client_version():
    status, _headers, body = client_transport("GET", "http://testserver/api/v1/version", {}, b"")
    assert status == 200
    assert json.loads(body) == {"version": app_version(), "client_version": app_version()}


def test_r4_issue20_an_older_client_is_told_to_ask_the_county_at_sync(
    client_mode, enrolled, monkeypatch
):
    monkeypatch.setattr(update, "app_version", lambda: "0.0.1")
    monkeypatch.setattr(sync, "urllib_transport", server)
    out = io.StringIO()
    call_command("client", "sync", stdout=out)
    text = out.getvalue()
    assert f"version {app_version()}" in text and "this PC runs 0.0.1" in text
    assert "Ask the county examination office for the new installation package" in text

    # Remembered for the status, without the network.
    monkeypatch.setattr(sync, "urllib_transport", None)
    out = io.StringIO()
    call_command("client", "status", stdout=out)
    assert "new installation package" in out.getvalue()


def test_r4_issue20_a_client_as_new_as_the_centre_hears_nothing(client_mode, enrolled, monkeypatch):
    monkeypatch.setattr(sync, "urllib_transport", server)
    out = io.StringIO()
    call_command("client", "sync", stdout=out)
    assert "installation package" not in out.getvalue()
    found = update.check_now(transport=server)
    assert found is not None and not found.newer


def test_r4_issue20_an_older_centre_without_the_endpoint_is_no_error(client_mode, enrolled):
    def old_server(method, url, headers, body):
        return 404, {}, b'{"detail": "Not Found"}'

    assert update.check_now(transport=old_server) is None


def test_r4_issue20_versions_are_compared_by_their_numbers():
    assert update.Update(ours="0.9.0", published="0.10.0").newer
    assert not update.Update(ours="0.10.0", published="0.9.3").newer
    assert not update.Update(ours="1.0.0", published="1.0.0").newer
    assert not update.Update(ours="1.0.0", published="unknown").newer


def test_r4_issue20_demo_code_on_a_client_says_why_there_is_no_such_account(client_mode):
    with pytest.raises(CommandError, match="not in this point client's database") as refused:
        call_command("demo", code="demo-furong-point")
    assert "DoesNotExist" not in str(refused.value) and "matching query" not in str(refused.value)
    assert "GAOKAO_MODE=client" in str(refused.value)


def test_r4_issue20_demo_code_on_a_server_without_the_demo_says_run_it_first():
    with pytest.raises(CommandError, match="run bin/demo first"):
        call_command("demo", code="demo-furong-point")
