"""A current season whose main window is open, the point's number range for track 5, an
enrolled point client with a known token, and helpers that speak the API as a point
client does. Tests use the project's URLs with the API mounted at /api/v1/."""

import base64
import datetime as dt
import hashlib
import uuid

import pyotp
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from gaokao.candidates.models import Candidate
from gaokao.codes.models import Code, Table
from gaokao.numbering.models import NumberRange, registration_number
from gaokao.seasons.models import PhaseKind
from gaokao.sync import services
from gaokao.sync.models import Device
from gaokao.testing.factories import CandidateFactory, SeasonFactory, add_phase, resident_id

NOW = dt.datetime(2019, 11, 9, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TOKEN = "device-token-" + "x" * 30


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def season(county, codes):
    season = SeasonFactory(province=county.parent.parent)
    add_phase(season, PhaseKind.MAIN, opens=dt.date(2019, 10, 28), closes=dt.date(2019, 11, 15))
    return season


@pytest.fixture
def number_range(season, point):
    track = Code.objects.get(table=Table.SUBJECT_TRACK, code="5")
    return NumberRange.objects.create(
        season=season, point=point, subject_track=track, first=1, last=100, next_serial=1
    )


def public_key_b64(key: Ed25519PrivateKey | None = None) -> str:
    key = key or Ed25519PrivateKey.generate()
    return base64.b64encode(key.public_key().public_bytes_raw()).decode()


def make_device(point, user, token: str = TOKEN, name: str = "教务处电脑1") -> Device:
    return Device.objects.create(
        point=point,
        name=name,
        public_key=public_key_b64(),
        token_hash=services.token_hash(token),
        enrolled_by=user,
    )


@pytest.fixture
def device(point, point_user):
    return make_device(point, point_user)


@pytest.fixture
def other_device(other_point):
    """An enrolled client of the other county's point."""
    from gaokao.testing.factories import staff_for

    return make_device(other_point, staff_for(other_point), token="other-" + "y" * 30)


def enrolled(user):
    """`user` with real-name authentication done and an authenticator."""
    user.totp_secret = pyotp.random_base32()
    user.real_name_verified_at = timezone.now()
    user.save()
    return user


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


@pytest.fixture
def api(client, device):
    return Api(client)


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
            "birth_date": "2002-03-15",
            "id_number": resident_id(2 * n + 1, birth="20020315"),
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
    return {
        "id": str(uuid.uuid4()),
        "kind": "update",
        "candidate": str(candidate.pk),
        "base_version": candidate.version if base_version is None else base_version,
        "fields": fields or {"fee_fen": 4000, "fee_receipt": "R-9", "documents_received": True},
    }


@pytest.fixture
def make(season):
    """make(point, **fields): a candidate of the current season at `point`."""

    def make(point, **kwargs):
        return CandidateFactory(season=season, point=point, **kwargs)

    return make


def state():
    """Everything sync may change, to compare before and after."""
    from gaokao.sync.models import Conflict, Receipt

    return (
        sorted(Candidate.objects.values_list("pk", "version", "fee_fen", "fee_receipt", "mobile")),
        Receipt.objects.count(),
        Conflict.objects.count(),
    )


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
