"""A county with a point whose client is enrolled, its number range, and bundles written
with real keys: the device's Ed25519 key made here, the server's X25519 key made by the
server in the test's own data directory."""

import base64
import datetime as dt
import hashlib
import uuid

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gaokao.bundles import format as bf
from gaokao.codes.models import Code, Table
from gaokao.numbering.models import NumberRange, registration_number
from gaokao.seasons.models import PhaseKind
from gaokao.sync.models import Device
from gaokao.testing.factories import SeasonFactory, add_phase, resident_id

NOW = dt.datetime(2019, 11, 9, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW):
        yield


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


def enrol(point, user, key: Ed25519PrivateKey, mark: str = "x") -> Device:
    raw = key.public_key().public_bytes_raw()
    return Device.objects.create(
        point=point,
        name="报名点电脑1",
        public_key=base64.b64encode(raw).decode(),
        token_hash=mark * 64,
        enrolled_by=user,
    )


@pytest.fixture
def device_key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def device(point, point_user, device_key):
    return enrol(point, point_user, device_key)


class Writer:
    """Writes bundles as a point client would."""

    def __init__(self, device: Device, key: Ed25519PrivateKey):
        self.device, self.key = device, key

    def __call__(self, changes, photos=(), *, point_code=None) -> bytes:
        return bf.write_bundle(
            device_id=self.device.pk,
            device_private_key=self.key,
            server_public_key=bf.x25519_public_key(bf.server_public_key_b64()),
            point_code=point_code or self.device.point.code,
            changes=list(changes),
            photos=list(photos),
            created_at=NOW - dt.timedelta(hours=30),
        )


@pytest.fixture
def write(device, device_key):
    return Writer(device, device_key)


def create_change(point, n: int, **fields) -> dict:
    """A change creating the n-th candidate with the point's n-th number (track 5)."""
    id_number = resident_id(2 * n + 1, birth="20020315")
    return {
        "id": str(uuid.uuid4()),
        "kind": "create",
        "candidate": str(uuid.uuid4()),
        "base_version": None,
        "fields": {
            "document_type": "1",
            "name": f"盘中考生{n}",
            "sex": "1",
            "ethnicity": "01",
            "birth_date": "2002-03-15",
            "id_number": id_number,
            "identity_source": "reader",
            "eligibility_path": "normal",
            "subject_track": "5",
            "registration_number": registration_number(point.county.registration_code, n),
            "documents_received": True,
            "fee_fen": 4000,
            "fee_receipt": f"R-{n:04d}",
            "eligibility": "eligible",
            "keyed_from_paper": True,
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


def photo_entry(candidate_id, data: bytes) -> dict:
    return {
        "id": uuid.uuid4(),
        "candidate": candidate_id,
        "sha256": hashlib.sha256(data).hexdigest(),
        "data": data,
    }
