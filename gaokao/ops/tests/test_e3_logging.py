"""E3: structured logs — one JSON object per line with the request id, which follows the
request through every logger and comes back in the X-Request-ID header."""

import datetime as dt
import io
import json
import logging
import re
import sys

import pytest
from django.conf import settings

from gaokao.ops.logging import NO_REQUEST, JsonFormatter, RequestIdFilter, request_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """What the configured console handler would print, for the loggers of a request."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(name) for name in ("gaokao.request", "django.request")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_e3_json_log_line_carries_the_request_id(client, log_lines):
    response = client.get("/ks/", HTTP_X_REQUEST_ID="lb-7f3a9c21-0001")
    assert response["X-Request-ID"] == "lb-7f3a9c21-0001"
    (line,) = [entry for entry in log_lines() if entry["logger"] == "gaokao.request"]
    assert line["request_id"] == "lb-7f3a9c21-0001"
    assert line["level"] == "INFO"
    assert line["route"] == "portal:login" and line["method"] == "GET"
    assert line["status"] == 200 and line["user_kind"] == "anonymous"
    assert isinstance(line["duration_ms"], float)
    assert "portal:login" in line["message"]
    stamp = dt.datetime.fromisoformat(line["time"])
    assert stamp.utcoffset() == dt.timedelta(hours=8)  # Asia/Shanghai, offset written out


def test_e3_every_logger_of_the_request_gets_its_id(client, log_lines):
    response = client.get("/office/no-such-page/")
    assert response.status_code == 404
    lines = log_lines()
    ids = {entry["request_id"] for entry in lines}
    assert {entry["logger"] for entry in lines} == {"django.request", "gaokao.request"}
    assert ids == {response["X-Request-ID"]}


@pytest.mark.parametrize(
    "given", ["short", "has spaces in it", "semi;colon-12345", "x" * 65, "中文请求编号12345"]
)
def test_e3_an_invalid_incoming_request_id_is_replaced(client, log_lines, given):
    response = client.get("/ks/", HTTP_X_REQUEST_ID=given)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert log_lines()[-1]["request_id"] == response["X-Request-ID"]


def test_e3_each_request_gets_its_own_id(client):
    first, second = client.get("/ks/"), client.get("/ks/")
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_e3_probes_and_static_files_are_not_logged(client, log_lines):
    client.get("/healthz")
    client.get("/readyz")
    client.get("/metrics")
    client.get("/static/gaokao/site.css")
    assert log_lines() == []


def test_e3_json_formatter_writes_extra_fields_and_the_exception():
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.getLogger("gaokao.test").makeRecord(
            "gaokao.test",
            logging.ERROR,
            __file__,
            1,
            "failed for %s",
            ("点",),
            sys.exc_info(),
            extra={"candidate": "01020001", "when": dt.date(2019, 11, 1)},
        )
    outside = request_id.set(NO_REQUEST)  # as between requests
    try:
        RequestIdFilter().filter(record)
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(outside)
    assert entry["message"] == "failed for 点" and entry["level"] == "ERROR"
    assert entry["candidate"] == "01020001" and entry["when"] == "2019-11-01"
    assert entry["request_id"] == "-"  # outside a request
    assert "ValueError: broken" in entry["exc_info"]


def test_e3_text_format_shows_the_request_id():
    text = logging.Formatter(settings.LOGGING["formatters"]["text"]["format"])
    record = logging.makeLogRecord({"msg": "hello", "request_id": "abc12345"})
    RequestIdFilter().filter(record)
    assert "[abc12345]" in text.format(record)
