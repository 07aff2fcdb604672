"""R4: the sync API describes itself (OpenAPI at /api/v1/openapi.json), so that the point
client and any later client are built against one contract."""

import pytest

from gaokao.sync import fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return answer.json()


def test_r4_every_endpoint_is_described(document):
    paths = document["paths"]
    expected = {
        ("/api/v1/enrol", "post"),
        ("/api/v1/pull", "get"),
        ("/api/v1/push", "post"),
        ("/api/v1/photos/{photo_id}", "post"),
        ("/api/v1/photos/{photo_id}", "put"),
        ("/api/v1/photos/{photo_id}", "get"),
        ("/api/v1/conflicts", "get"),
        ("/api/v1/conflicts/{conflict_id}/resolve", "post"),
        ("/api/v1/records", "post"),  # issue 20: incidents, their entries, comments
        ("/api/v1/notices/attachments/{attachment_id}", "get"),
        ("/api/v1/version", "get"),  # issue 20: the update check
    }
    described = {(path, method) for path, ops in paths.items() for method in ops}
    assert expected == described
    assert document["info"]["version"] == "1"
    assert document["components"]["securitySchemes"] == {
        "DeviceAuth": {"type": "http", "scheme": "device"}
    }
    assert "security" not in paths["/api/v1/enrol"]["post"]  # the calls without a token
    assert "security" not in paths["/api/v1/version"]["get"]
    assert paths["/api/v1/push"]["post"]["security"] == [{"DeviceAuth": []}]
    put = paths["/api/v1/photos/{photo_id}"]["put"]
    assert "application/octet-stream" in put["requestBody"]["content"]
    assert {"200", "409", "415", "422"} <= set(put["responses"])


def test_r4_the_schemas_carry_every_sync_field(document):
    schemas = document["components"]["schemas"]
    snapshot = set(schemas["CandidateOut"]["properties"])
    assert snapshot == set(fields.SYNC_FIELDS) | set(fields.PULLED_FIELDS) | {
        "id",
        "version",
        "stage",
        "updated_at",
    }
    change = schemas["ChangeIn"]
    assert set(change["required"]) >= {"id", "kind", "candidate", "fields"}
    assert all(name in change["properties"]["fields"]["description"] for name in fields.SYNC_FIELDS)
    assert schemas["PushIn"]["properties"]["changes"]["maxItems"] == 500
