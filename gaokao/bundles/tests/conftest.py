"""Bundles written with real keys, as a point client writes them during an outage: the
device's Ed25519 key is the shared `device_key`, the server's X25519 key is made by the
server in the test's own data directory. The tests run at the shared `now`."""

import datetime as dt
import hashlib
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from gaokao.bundles import format as bf
from gaokao.sync.models import Device
from gaokao.testing import sync


@pytest.fixture(autouse=True)
def at_now(clock):
    """Every test here runs at the shared `now`, inside the main window."""


class Writer:
    """Writes bundles as a point client would."""

    def __init__(self, device: Device, key: Ed25519PrivateKey):
        self.device, self.key = device, key

    def __call__(self, changes, photos=(), *, point_code=None, records=None) -> bytes:
        return bf.write_bundle(
            device_id=self.device.pk,
            device_private_key=self.key,
            server_public_key=bf.x25519_public_key(bf.server_public_key_b64()),
            point_code=point_code or self.device.point.code,
            changes=list(changes),
            photos=list(photos),
            records=records,
            created_at=timezone.now() - dt.timedelta(hours=30),
        )


@pytest.fixture
def write(device, device_key):
    return Writer(device, device_key)


def create_change(point, n: int, **fields) -> dict:
    """A change creating the n-th candidate (track 5), keyed from the paper form while the
    network was out."""
    return sync.create_change(
        point, n, **{"name": f"盘中考生{n}", "keyed_from_paper": True} | fields
    )


def photo_entry(candidate_id, data: bytes) -> dict:
    return {
        "id": uuid.uuid4(),
        "candidate": candidate_id,
        "sha256": hashlib.sha256(data).hexdigest(),
        "data": data,
    }
