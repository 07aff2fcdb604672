"""Speaking to the sync API as a point client does (同步): enrolled devices, the changes a
client pushes, and the API called through Django's test client at /api/v1/.

Shared by the sync, bundle and point-client tests and the cross-cutting tests in
gaokao/tests; the fixtures built on them are in gaokao.testing.fixtures."""

import base64
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gaokao.numbering.models import registration_number
from gaokao.sync.enrolment import token_hash
from gaokao.sync.models import Device
from gaokao.testing.factories import resident_id

TOKEN = "device-token-" + "x" * 30


def public_key_b64(key: Ed25519PrivateKey | None = None) -> str:
    key = key or Ed25519PrivateKey.generate()
    return base64.b64encode(key.public_key().public_bytes_raw()).decode()


def make_device(
    point,
    user,
    token: str = TOKEN,
    name: str = "教务处电脑1",
    key: Ed25519PrivateKey | None = None,
) -> Device:
    """A point client enrolled by `user`, answering to `token`, signing with `key`."""
    return Device.objects.create(
        point=point,
        name=name,
        public_key=public_key_b64(key),
        token_hash=token_hash(token),
        enrolled_by=user,
    )


class Api:
    """The API as a point client calls it."""

    def __init__(self, client, token: str | None = TOKEN):
        self.client, self.token = client, token

    def headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Device {self.token}"} if self.token else {}

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, **self.headers())

    def post(self, path, body=None, *, raw=None):
        data = raw if raw is not None else body
        return self.client.post(
            f"/api/v1{path}", data, content_type="application/json", **self.headers()
        )

    def put(self, path, data: bytes, content_type="application/octet-stream"):
        return self.client.put(f"/api/v1{path}", data, content_type=content_type, **self.headers())

    def push(self, *changes):
        return self.post("/push", {"changes": list(changes)})


def create_change(point, n: int, **fields) -> dict:
    """A change creating the n-th candidate with the point's n-th number (track 5)."""
    return {
        "id": str(uuid.uuid4()),
        "kind": "create",
        "candidate": str(uuid.uuid4()),
        "base_version": None,
        "fields": {
            "document_type": "1",
            "name": f"同步考生{n}",
            "sex": "1",
            "ethnicity": "01",
            # Born on the 16th: CandidateFactory's people are born on the 15th, so a
            # candidate pushed here never collides with one the factory made.
            "birth_date": "2002-03-16",
            "id_number": resident_id(2 * n + 1, birth="20020316"),
            "identity_source": "reader",
            "eligibility_path": "normal",
            "subject_track": "5",
            "registration_number": registration_number(point.county.registration_code, n),
            "documents_received": True,
            "fee_fen": 4000,
            "fee_receipt": f"R-{n:04d}",
            "eligibility": "eligible",
        }
        | fields,
    }


def update_change(candidate, base_version=None, **fields) -> dict:
    """A change updating `candidate` from `base_version` (by default its current one)."""
    return {
        "id": str(uuid.uuid4()),
        "kind": "update",
        "candidate": str(candidate.pk),
        "base_version": candidate.version if base_version is None else base_version,
        "fields": fields or {"fee_fen": 4000, "fee_receipt": "R-9", "documents_received": True},
    }
