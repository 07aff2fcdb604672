"""The reader bridge over real HTTP: what the office page's 读卡 button calls (R3, S3)."""

import json
import time
import urllib.error
import urllib.request

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from gaokao.idcard.bridge import normalise_origin, parse_listen, start_bridge
from gaokao.idcard.cards import CardIdentity
from gaokao.idcard.protocol import Status
from gaokao.idcard.simulator import Fault

ORIGIN = "http://127.0.0.1:8000"
OTHER = "http://evil.example"


@pytest.fixture(scope="module")
def running():
    server, thread = start_bridge("sim", "127.0.0.1:0", [ORIGIN], timeout=0.3)
    yield server
    server.stop()
    assert not thread.is_alive()


@pytest.fixture
def bridge(running):
    running.simulator.sam.reset()
    return running


def call(server, method, path, *, origin=ORIGIN, body=None, headers=None):
    """(status, headers, JSON or None) of one request."""
    # The bridge's own http:// URL, not user input.
    request = urllib.request.Request(server.url + path, data=body, method=method)  # noqa: S310
    if origin:
        request.add_header("Origin", origin)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            status, head, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        status, head, raw = e.code, e.headers, e.read()
    return status, head, json.loads(raw) if raw else None


def test_r3_status_gives_the_sam_id(bridge):
    status, headers, data = call(bridge, "GET", "/status")
    assert status == 200
    assert data == {"ok": True, "sam_id": "05.01-20200315-0123456789-0987654321", "simulated": True}
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert "Origin" in headers["Vary"]


def test_s3_read_gives_a_card_the_server_accepts_and_the_next_read_the_next_person(bridge):
    status, headers, first = call(bridge, "POST", "/read")
    assert status == 200
    assert first["ok"] is True
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    card = CardIdentity.from_json(first["card"])
    assert card.name == "张思远"
    _, _, second = call(bridge, "POST", "/read", body=b"{}")
    assert second["card"]["id_number"] != first["card"]["id_number"]


def test_r3_a_reader_error_is_ok_false_with_its_code_and_message(bridge):
    bridge.simulator.sam.inject(Fault.NO_CARD, count=None)
    status, headers, data = call(bridge, "POST", "/read")
    assert status == 200
    assert data["ok"] is False
    assert data["code"] == "no_card"
    with translation.override("zh-hans"):
        assert data["error"] == str(Status.NO_CARD.message)
    assert headers["Access-Control-Allow-Origin"] == ORIGIN


def test_r3_a_silent_reader_times_out_and_the_bridge_recovers(bridge):
    bridge.simulator.sam.inject(Fault.SILENCE)
    started = time.monotonic()
    _, _, data = call(bridge, "POST", "/read")
    assert (data["ok"], data["code"]) == (False, "timeout")
    assert time.monotonic() - started < 2.0
    _, _, data = call(bridge, "POST", "/read")
    assert data["ok"] is True


def test_r3_one_read_at_a_time(bridge):
    lock = bridge.service._lock
    lock.acquire()
    try:
        _, _, data = call(bridge, "POST", "/read")
    finally:
        lock.release()
    assert (data["ok"], data["code"]) == (False, "busy")


def test_r3_another_origin_is_refused(bridge):
    status, headers, data = call(bridge, "POST", "/read", origin=OTHER)
    assert status == 403
    assert data["code"] == "forbidden_origin"
    assert "Access-Control-Allow-Origin" not in headers
    assert not bridge.simulator.sam.received  # the reader was not touched


def test_r3_a_foreign_host_name_is_refused(bridge):
    port = bridge.server_address[1]
    status, _, data = call(
        bridge, "GET", "/status", origin=None, headers={"Host": f"rebound.example:{port}"}
    )
    assert (status, data["code"]) == (403, "forbidden_host")


def test_r3_a_request_without_origin_is_served_without_cors_headers(bridge):
    status, headers, data = call(bridge, "GET", "/status", origin=None)
    assert status == 200
    assert data["ok"] is True
    assert "Access-Control-Allow-Origin" not in headers


def test_r3_preflight_for_the_allowed_origin(bridge):
    status, headers, _ = call(
        bridge,
        "OPTIONS",
        "/read",
        headers={
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in headers["Access-Control-Allow-Headers"]
    assert headers["Access-Control-Allow-Private-Network"] == "true"


def test_r3_preflight_for_another_origin_is_refused(bridge):
    status, headers, _ = call(
        bridge, "OPTIONS", "/read", origin=OTHER, headers={"Access-Control-Request-Method": "POST"}
    )
    assert status == 403
    assert "Access-Control-Allow-Origin" not in headers


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("GET", "/read", None, 405),
        ("POST", "/status", b"", 405),
        ("GET", "/nowhere", None, 404),
        ("POST", "/read", b"not json", 400),
        ("POST", "/read", b"[1, 2]", 400),
        ("POST", "/read", b"{" + b" " * 5000 + b"}", 413),
    ],
)
def test_r3_bad_requests_are_4xx(bridge, method, path, body, expected):
    status, _, data = call(bridge, method, path, body=body)
    assert status == expected
    assert data["ok"] is False
    assert not bridge.simulator.sam.received


@pytest.mark.parametrize(
    "listen", ["0.0.0.0:8765", "192.168.1.10:8765", "example.com:80", "8765", "127.0.0.1:x"]
)
def test_r3_the_bridge_listens_on_loopback_only(listen):
    with pytest.raises(ValueError):
        parse_listen(listen)
    with pytest.raises(ValueError):
        start_bridge("sim", listen, [ORIGIN])


def test_r3_listen_accepts_localhost_and_loopback():
    assert parse_listen("localhost:8765") == ("127.0.0.1", 8765)
    assert parse_listen("127.0.0.1:0") == ("127.0.0.1", 0)


@pytest.mark.parametrize("origin", ["127.0.0.1:8000", "ftp://x", "http://x/office/", ""])
def test_r3_origins_must_be_origins(origin):
    with pytest.raises(ValueError):
        normalise_origin(origin)


def test_r3_origins_are_compared_as_browsers_send_them():
    assert normalise_origin("HTTP://Office.Example:8000/") == "http://office.example:8000"


def test_r3_reader_serve_refuses_a_non_loopback_listen():
    with pytest.raises(CommandError):
        call_command("reader", "serve", "--port", "sim", "--listen", "0.0.0.0:8765")


def test_r3_reader_status_prints_the_sam_id(capsys):
    call_command("reader", "status", "--port", "sim", "--timeout", "0.5")
    assert "05.01-20200315-0123456789-0987654321" in capsys.readouterr().out
