"""The bundle file (E5): readable by the server only, attributable to one device, and
refused with a reason for anything else — never another exception, whatever the bytes."""

import base64
import datetime as dt
import hashlib
import json
import os
import stat
import struct
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from gaokao.bundles import format as bf
from gaokao.bundles.format import BundleRefused

DEVICE = uuid.UUID("6f1c1f9e-8a1e-4f0b-9a53-3d1f0f7d2a10")
CANDIDATE = uuid.UUID("0b7f9c3e-2f42-4d7c-8f0e-5a9b1c2d3e4f")
CREATED = dt.datetime(2019, 11, 8, 23, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PHOTO = b"\xff\xd8\xff\xe0 not really a JPEG \x00\x01" * 10
DEVICE_KEY = Ed25519PrivateKey.generate()
SERVER_KEY = X25519PrivateKey.generate()


def change(**overrides):
    return {
        "id": str(uuid.uuid4()),
        "kind": "update",
        "candidate": str(CANDIDATE),
        "base_version": 3,
        "fields": {"fee_fen": 4000, "fee_receipt": "R-0001", "specialties": "书法、二胡"},
    } | overrides


def write(changes=None, photos=None, *, device_key=DEVICE_KEY, server_key=SERVER_KEY, **kw):
    return bf.write_bundle(
        device_id=kw.get("device_id", DEVICE),
        device_private_key=device_key,
        server_public_key=server_key.public_key(),
        point_code=kw.get("point_code", "0102001"),
        changes=[change()] if changes is None else changes,
        photos=(
            [{"id": uuid.uuid4(), "candidate": CANDIDATE, "sha256": sha(PHOTO), "data": PHOTO}]
            if photos is None
            else photos
        ),
        created_at=CREATED,
    )


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def known(device_id):
    return DEVICE_KEY.public_key() if device_id == DEVICE else None


def read(data, *, server_key=SERVER_KEY, device_key_for=known):
    return bf.read_bundle(data, server_private_key=server_key, device_key_for=device_key_for)


def refusal(data, **kw) -> str:
    with pytest.raises(BundleRefused) as e:
        read(data, **kw)
    assert e.value.message  # always something to show
    return e.value.reason


def layout(data: bytes) -> dict:
    """Offsets of the parts, as the module docstring documents them."""
    (manifest_length,) = struct.unpack_from(">I", data, 10)
    ciphertext_at = 14 + manifest_length + 32 + 12 + 8
    (ciphertext_length,) = struct.unpack_from(">Q", data, ciphertext_at - 8)
    return {
        "manifest": 14,
        "ephemeral": 14 + manifest_length,
        "ciphertext": ciphertext_at,
        "signature": ciphertext_at + ciphertext_length,
    }


def flip(data: bytes, at: int, bit: int = 0) -> bytes:
    b = bytearray(data)
    b[at] ^= 1 << bit
    return bytes(b)


def test_e5_round_trip_keeps_changes_photos_and_manifest():
    changes = [change(), change(kind="create", base_version=None, candidate=str(uuid.uuid4()))]
    photo_id = uuid.uuid4()
    data = write(
        changes, [{"id": photo_id, "candidate": CANDIDATE, "sha256": sha(PHOTO), "data": PHOTO}]
    )
    bundle = read(data)
    assert bundle.changes == changes
    assert [(p.id, p.candidate, p.sha256, p.data) for p in bundle.photos] == [
        (photo_id, CANDIDATE, sha(PHOTO), PHOTO)
    ]
    m = bundle.manifest
    assert (m.device_id, m.point_code, m.changes, m.photos) == (DEVICE, "0102001", 2, 1)
    assert m.created_at == CREATED


def test_e5_layout_is_as_documented_and_the_payload_is_not_readable():
    data = write()
    assert data[:8] == b"GKBUNDLE"
    assert struct.unpack_from(">H", data, 8) == (1,)
    parts = layout(data)
    assert len(data) == parts["signature"] + 64  # nothing after the signature
    manifest = json.loads(data[parts["manifest"] : parts["ephemeral"]])
    assert manifest["device"] == str(DEVICE) and manifest["changes"] == 1
    # Neither the fields nor the photo appear in clear anywhere in the file.
    assert b"R-0001" not in data and "书法".encode() not in data
    assert PHOTO not in data and base64.b64encode(PHOTO) not in data
    DEVICE_KEY.public_key().verify(data[-64:], data[:-64])  # signed by the device


def test_e5_each_bundle_has_its_own_key_and_nonce():
    a, b = write([change(id="1")], []), write([change(id="1")], [])
    assert a != b
    assert layout(a)["ephemeral"] == layout(b)["ephemeral"]
    at = layout(a)["ephemeral"]
    assert a[at : at + 44] != b[at : at + 44]


@pytest.mark.parametrize("part", ["manifest", "ephemeral", "ciphertext", "signature"])
def test_e5_a_flipped_byte_anywhere_is_refused(part):
    data = write()
    at = layout(data)[part] + 3
    assert refusal(flip(data, at)) in (bf.BAD_SIGNATURE, bf.MALFORMED)
    assert refusal(flip(data, len(data) - 1)) == bf.BAD_SIGNATURE  # the signature's last bit


def test_e5_tampered_ciphertext_is_a_bad_signature():
    data = write()
    assert refusal(flip(data, layout(data)["ciphertext"] + 10)) == bf.BAD_SIGNATURE


def test_e5_tampered_manifest_is_a_bad_signature():
    data = write()
    start = layout(data)["manifest"]
    manifest = data[start : layout(data)["ephemeral"]]
    forged = manifest.replace(b'"changes":1', b'"changes":0')
    assert forged != manifest and len(forged) == len(manifest)
    assert refusal(data[:start] + forged + data[start + len(manifest) :]) == bf.BAD_SIGNATURE


def test_e5_resigned_by_another_key_is_refused():
    """A thief with the file but not the device's key cannot re-sign it."""
    data = write(device_key=Ed25519PrivateKey.generate())
    assert refusal(data) == bf.BAD_SIGNATURE


def test_e5_a_bundle_for_another_server_cannot_be_decrypted():
    data = write(server_key=X25519PrivateKey.generate())
    assert refusal(data) == bf.DECRYPTION_FAILED


def test_e5_payload_not_matching_its_manifest_is_refused():
    """Signed by the device but inconsistent (a bug in a client): never applied."""
    data = write()
    parts = layout(data)
    manifest = json.loads(data[parts["manifest"] : parts["ephemeral"]])
    manifest["payload_sha256"] = "0" * 64
    body = _rewrite_manifest(data, manifest)
    assert refusal(body + DEVICE_KEY.sign(body)) == bf.PAYLOAD_HASH


def _rewrite_manifest(data: bytes, manifest: dict) -> bytes:
    """The bundle with another manifest, re-encrypted (the manifest is associated data),
    unsigned."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    parts = layout(data)
    ephemeral = X25519PrivateKey.generate()
    raw = bf._canonical(manifest)
    head = struct.pack(">8sHI", b"GKBUNDLE", 1, len(raw)) + raw
    # Decrypt the payload as the server would, then seal it again under the new head.
    old_head = data[: parts["ephemeral"]]
    old_ephemeral = data[parts["ephemeral"] : parts["ephemeral"] + 32]
    nonce = data[parts["ephemeral"] + 32 : parts["ephemeral"] + 44]
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    key = bf._payload_key(
        SERVER_KEY.exchange(X25519PublicKey.from_public_bytes(old_ephemeral)),
        old_ephemeral,
        SERVER_KEY.public_key(),
    )
    payload = AESGCM(key).decrypt(nonce, data[parts["ciphertext"] : parts["signature"]], old_head)
    eph_public = ephemeral.public_key().public_bytes_raw()
    new_key = bf._payload_key(
        ephemeral.exchange(SERVER_KEY.public_key()), eph_public, SERVER_KEY.public_key()
    )
    ciphertext = AESGCM(new_key).encrypt(nonce, payload, head)
    return head + eph_public + nonce + struct.pack(">Q", len(ciphertext)) + ciphertext


def test_e5_counts_not_matching_the_payload_are_refused():
    data = write()
    parts = layout(data)
    manifest = json.loads(data[parts["manifest"] : parts["ephemeral"]])
    manifest["changes"] = 5
    body = _rewrite_manifest(data, manifest)
    assert refusal(body + DEVICE_KEY.sign(body)) == bf.MALFORMED


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b'{"changes": {}, "photos": []}',
        b'{"changes": [1], "photos": []}',
        b'{"changes": [], "photos": [{"id": "x"}]}',
        b'{"changes": [], "photos": [{"id": "%s", "candidate": "%s", "sha256": "%s", '
        b'"data": "***"}]}' % (str(uuid.uuid4()).encode(), str(CANDIDATE).encode(), b"a" * 64),
        b'{"changes": [{"fee_fen": NaN}], "photos": []}',
        b"[" * 100_000 + b"]" * 100_000,
        '{"changes": [], "photos": [], "x": "\ud800"}'.encode("utf-8", "surrogatepass"),
    ],
)
def test_e5_malformed_payload_signed_by_the_device_is_refused(payload):
    assert refusal(_sealed(payload)) == bf.MALFORMED


def _sealed(payload: bytes) -> bytes:
    """A correctly signed and encrypted bundle around an arbitrary payload."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = bf._canonical(
        {
            "format": 1,
            "device": str(DEVICE),
            "point": "0102001",
            "changes": 0,
            "photos": 0,
            "created_at": CREATED.isoformat(),
            "payload_sha256": sha(payload),
        }
    )
    head = struct.pack(">8sHI", b"GKBUNDLE", 1, len(raw)) + raw
    ephemeral = X25519PrivateKey.generate()
    eph_public = ephemeral.public_key().public_bytes_raw()
    key = bf._payload_key(
        ephemeral.exchange(SERVER_KEY.public_key()), eph_public, SERVER_KEY.public_key()
    )
    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, payload, head)
    body = head + eph_public + nonce + struct.pack(">Q", len(ciphertext)) + ciphertext
    return body + DEVICE_KEY.sign(body)


def test_e5_not_a_bundle():
    assert refusal(b"") == bf.NOT_A_BUNDLE
    assert refusal(b"PK\x03\x04 a zip file") == bf.NOT_A_BUNDLE
    assert refusal("报名数据".encode()) == bf.NOT_A_BUNDLE


def test_e5_unknown_version():
    data = write()
    assert refusal(data[:8] + struct.pack(">H", 2) + data[10:]) == bf.UNKNOWN_VERSION


@pytest.mark.parametrize("keep", [9, 14, 20, 200, -65, -1])
def test_e5_truncated(keep):
    data = write()
    assert refusal(data[:keep]) == bf.TRUNCATED


def test_e5_length_fields_beyond_the_data_are_truncation():
    data = write()
    huge_manifest = data[:10] + struct.pack(">I", 2**32 - 1) + data[14:]
    assert refusal(huge_manifest) == bf.TRUNCATED
    at = layout(data)["ciphertext"] - 8
    huge_ciphertext = data[:at] + struct.pack(">Q", 2**64 - 1) + data[at + 8 :]
    assert refusal(huge_ciphertext) == bf.TRUNCATED


def test_e5_bytes_after_the_end_are_refused():
    assert refusal(write() + b"\x00") == bf.MALFORMED


def test_e5_unknown_device():
    assert refusal(write(device_id=uuid.uuid4())) == bf.UNKNOWN_DEVICE


def test_e5_the_device_lookup_may_refuse_precisely():
    def revoked(device_id):
        raise BundleRefused(bf.REVOKED_DEVICE, "revoked")

    assert refusal(write(), device_key_for=revoked) == bf.REVOKED_DEVICE


def test_e5_peek_shows_whose_disc_it_claims_to_be():
    m = bf.peek_manifest(write())
    assert (m.device_id, m.point_code) == (DEVICE, "0102001")
    with pytest.raises(BundleRefused):
        bf.peek_manifest(b"junk")


VALID = write([change(), change()])


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_e5_random_bytes_are_only_ever_refused(data):
    with pytest.raises(BundleRefused):
        read(data)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_e5_random_bytes_after_the_magic_are_only_ever_refused(tail):
    with pytest.raises(BundleRefused):
        read(b"GKBUNDLE\x00\x01" + tail)


@hsettings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 7)), min_size=1, max_size=4)
)
def test_e5_bit_flips_of_a_valid_bundle_are_only_ever_refused(flips):
    data = VALID
    for at, bit in flips:
        data = flip(data, at, bit)
    if data == VALID:  # two flips of the same bit cancel out
        return
    with pytest.raises(BundleRefused):
        read(data)


@hsettings(max_examples=200, deadline=None)
@given(st.integers(0, len(VALID) - 1))
def test_e5_any_cut_of_a_valid_bundle_is_refused(keep):
    with pytest.raises(BundleRefused):
        read(VALID[:keep])


def test_e5_server_key_is_made_once_private_and_kept(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    first = bf.server_public_key_b64()
    path = tmp_path / "bundles" / "server_x25519.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert bf.server_public_key_b64() == first
    assert len(base64.b64decode(first)) == 32
    # The client turns it back into a key and writes a bundle the server reads.
    data = bf.write_bundle(
        device_id=DEVICE,
        device_private_key=DEVICE_KEY,
        server_public_key=bf.x25519_public_key(first),
        point_code="0102001",
        changes=[change()],
        photos=[],
        created_at=CREATED,
    )
    assert bf.read_bundle(
        data, server_private_key=bf.server_private_key(), device_key_for=known
    ).changes
    assert list(path.parent.iterdir()) == [path]  # no temporary files left behind


def test_e5_public_key_helpers_refuse_bad_keys():
    for bad in ["", "not base64!", base64.b64encode(b"short").decode(), 5]:
        with pytest.raises(ValueError):
            bf.x25519_public_key(bad)
        with pytest.raises(ValueError):
            bf.ed25519_public_key(bad)
    raw = DEVICE_KEY.public_key().public_bytes_raw()
    assert bf.ed25519_public_key(base64.b64encode(raw).decode()) == DEVICE_KEY.public_key()


def test_e5_command_prints_the_public_key_and_purges(settings, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    settings.DATA_DIR = tmp_path
    out = StringIO()
    call_command("bundles", "public-key", stdout=out, stderr=StringIO())
    assert out.getvalue().strip() == bf.server_public_key_b64()
    out = StringIO()
    call_command("bundles", "purge", stdout=out)
    assert "0" in out.getvalue()
