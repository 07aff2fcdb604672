"""AES-256-GCM for values at rest, and the blind index.

A stored value is "v1:<key id>:<base64(nonce | ciphertext | tag)>": a random 96-bit nonce
per value, and as associated data the column it belongs to ("candidates.candidate.id_number"),
so that a value copied into another column or table does not decrypt. The key id says which
data key decrypts it, so values written before a rotation stay readable until `gaokao privacy
rotate` has moved them to the current key.

The blind index is HMAC-SHA256 of the normalised value under the index key (hex): equal
numbers give equal indexes, so the database can look a person up and keep one registration
per person and season, while the index alone does not give the number back.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gaokao.privacy import keys

VERSION = "v1"
NONCE_BYTES = 12
PREFIX = VERSION + ":"


class DecryptionError(Exception):
    """A stored value that cannot be decrypted. The message names the column and the key id,
    never the value."""


def associated_data(column: str) -> bytes:
    return column.encode()


def encrypt(plaintext: str, column: str, key: tuple[str, bytes] | None = None) -> str:
    if key is None:
        found = keys.get_keys()
        key_id, cipher = found.current[0], found.cipher(found.current[0])
    else:
        key_id, cipher = key[0], AESGCM(key[1])
    nonce = os.urandom(NONCE_BYTES)
    sealed = cipher.encrypt(nonce, plaintext.encode(), associated_data(column))
    return f"{PREFIX}{key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def is_encrypted(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(PREFIX)


def key_id_of(stored: str) -> str | None:
    """The key id a stored value names (None for a value that is not encrypted)."""
    if not is_encrypted(stored):
        return None
    return stored.split(":", 2)[1]


def decrypt(stored: str, column: str) -> str:
    version, _sep, rest = stored.partition(":")
    key_id, sep, body = rest.partition(":")
    if version != VERSION or not sep:
        raise DecryptionError(
            f"{column}: the stored value is not encrypted in the {VERSION} format (plaintext"
            " in an encrypted column? run the migrations)"
        )
    cipher = keys.get_keys().cipher(key_id)
    if cipher is None:
        raise DecryptionError(
            f"{column}: no data key with the id {key_id!r} is configured; a key was removed"
            " before `gaokao privacy rotate` moved every value off it (docs/security.md)"
        )
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) < NONCE_BYTES + 16:
        raise DecryptionError(f"{column}: the stored value (key {key_id!r}) is damaged")
    try:
        plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data(column))
    except InvalidTag:
        raise DecryptionError(
            f"{column}: the stored value (key {key_id!r}) fails its integrity check: it was"
            " changed, belongs to another column, or the key with this id is not the one that"
            " encrypted it"
        ) from None
    return plain.decode()


# ── the blind index ────────────────────────────────────────────────────────────────────


def normalise(value: str) -> str:
    """What counts as the same number: full-width characters folded (NFKC), surrounding
    space dropped, letters upper-case (the X of a resident ID number)."""
    return unicodedata.normalize("NFKC", str(value)).strip().upper()


def blind_index(value: str, key: bytes | None = None) -> str:
    """HMAC-SHA256 (hex) of the normalised value; "" for an empty value."""
    text = normalise(value) if value is not None else ""
    if not text:
        return ""
    return hmac.digest(key or keys.index_key(), text.encode(), "sha256").hex()


def index_values(value: str) -> list[str]:
    """The indexes a row holding `value` may carry: the current one, and during a re-index
    (GAOKAO_OLD_INDEX_KEY set) the old one too."""
    current = blind_index(value)
    old_key = keys.old_index_key()
    if old_key and current:
        return [current, blind_index(value, old_key)]
    return [current]


def index_matches(value: str, index: str) -> bool:
    """True when `index` (a row's) is that of `value`, under the current or the old key."""
    return any(hmac.compare_digest(candidate, index or "") for candidate in index_values(value))
