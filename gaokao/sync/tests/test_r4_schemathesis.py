"""R4, issue 10 §4: schemathesis fuzzes the sync API from its own OpenAPI document
(/api/v1/openapi.json), through the WSGI application as a point client reaches it, with an
enrolled device's token: data that fits the document (positive) and data that does not
(negative). No answer is a server error; every answer is one the document describes, with
the body it describes."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import given
from schemathesis import GenerationMode
from schemathesis.checks import (  # registered checks, resolved by name
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from gaokao.testing.fuzzing import fuzz, rolled_back
from gaokao.testing.sync import TOKEN

pytestmark = pytest.mark.django_db

OPERATIONS = [
    ("POST", "/api/v1/enrol"),
    ("GET", "/api/v1/pull"),
    ("POST", "/api/v1/push"),
    ("POST", "/api/v1/photos/{photo_id}"),
    ("PUT", "/api/v1/photos/{photo_id}"),
    ("GET", "/api/v1/photos/{photo_id}"),
    ("GET", "/api/v1/conflicts"),
    ("POST", "/api/v1/conflicts/{conflict_id}/resolve"),
    ("POST", "/api/v1/records"),  # issue 20: incidents, their entries, comments
    ("GET", "/api/v1/notices/attachments/{attachment_id}"),
    ("GET", "/api/v1/version"),  # issue 20: the update check, without a token
]
WITHOUT_TOKEN = ("/api/v1/enrol", "/api/v1/version")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
AUTH = {"Authorization": f"Device {TOKEN}"}


@pytest.fixture
def api_schema(settings, device, make, point, number_range):
    """The document as the WSGI application serves it. Django's test client keeps the
    test's transaction by not closing connections between requests; schemathesis calls
    the WSGI application itself, so the same is done here."""
    from gaokao.wsgi import application

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    make(point)  # a candidate to pull
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_r4_the_document_lists_the_operations_fuzzed_here(api_schema):
    described = {
        (result.ok().method.upper(), result.ok().path) for result in api_schema.get_all_operations()
    }
    assert described == set(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_r4_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    api_schema, method, path, mode
):
    if mode == GenerationMode.NEGATIVE and path == "/api/v1/version":
        pytest.skip("GET /api/v1/version takes no input that could be invalid")
    operation = api_schema[path][method]

    @fuzz(8)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        with rolled_back():
            response = case.call(headers=AUTH)
            case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_r4_without_a_token_no_operation_errs(api_schema, method, path):
    operation = api_schema[path][method]

    @fuzz(3)
    @given(case=operation.as_strategy())
    def run(case):
        with rolled_back():
            response = case.call(headers={"Authorization": "Device not-a-token"})
            case.validate_response(response, checks=[not_a_server_error])
            assert response.status_code != 200 or path in WITHOUT_TOKEN

    run()
