"""The keys that protect ID numbers at rest (docs/security.md, "ID numbers at rest: keys and
rotation").

- data keys: AES-256-GCM keys, each with a short id that is stored with every value it
  encrypted. The first is current: new values are encrypted with it; the others still
  decrypt what was written before a rotation (`gaokao privacy rotate` moves those rows on).
- the index key: the HMAC-SHA256 key of the blind index, which finds a person by the exact
  number and keeps one registration per person and season without the number in clear.
- the old index key: set only while `gaokao privacy rotate --reindex` runs after a change of
  the index key, so that look-ups find rows that still carry the old index.

Where they come from: the settings DATA_KEYS, INDEX_KEY and OLD_INDEX_KEY, which
gaokao/settings.py reads once from the environment (GAOKAO_DATA_KEYS as
"id:base64,id:base64", GAOKAO_INDEX_KEY and GAOKAO_OLD_INDEX_KEY as base64, each also from
a file named by the variable with _FILE); without them, like SECRET_KEY, the file
DATA_DIR/keys in the same NAME=value form, generated on first use (mode 0600) with SQLite
only. With a database server several app servers must share the keys, so none is ever
generated there: without keys in the settings or a key file, the start is refused.

The settings are parsed once; a test that changes them (pytest-django's `settings`) has
them read again (`setting_changed`). The key file is looked at again after a second, so
that `gaokao privacy new-key` reaches a running server.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import os
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

KEY_BYTES = 32
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
KEYS_FILE = "keys"
DATA_KEYS_VAR = "GAOKAO_DATA_KEYS"
INDEX_KEY_VAR = "GAOKAO_INDEX_KEY"
OLD_INDEX_KEY_VAR = "GAOKAO_OLD_INDEX_KEY"
DOC = "docs/security.md"


@dataclass(frozen=True)
class Keys:
    data: tuple[tuple[str, bytes], ...]  # (key id, key); the first is current
    index: bytes
    old_index: bytes | None = None
    source: str = ""  # "settings", "environment" or the key file's path

    @property
    def current(self) -> tuple[str, bytes]:
        return self.data[0]

    @functools.cached_property
    def _ciphers(self) -> dict[str, AESGCM]:
        return {key_id: AESGCM(key) for key_id, key in self.data}

    def data_key(self, key_id: str) -> bytes | None:
        return dict(self.data).get(key_id)

    def cipher(self, key_id: str) -> AESGCM | None:
        """AES-GCM with the data key of this id (None when no such key is configured)."""
        return self._ciphers.get(key_id)


# ── parsing ────────────────────────────────────────────────────────────────────────────


def _decode_key(text: str | bytes, what: str) -> bytes:
    if isinstance(text, bytes) and len(text) == KEY_BYTES:
        return text
    try:
        key = base64.b64decode(str(text).strip(), validate=True)
    except (binascii.Error, ValueError) as e:
        raise ImproperlyConfigured(f"{what} is not valid base64: see {DOC}") from e
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(
            f"{what} must be {KEY_BYTES} random bytes in base64 (44 characters), not"
            f" {len(key)} bytes: see {DOC}"
        )
    return key


def parse_data_keys(value: str | Sequence[tuple[str, str | bytes]], what: str = DATA_KEYS_VAR):
    """ "id:base64,id:base64" (or a sequence of (id, key) pairs) → ((id, key), ...), the
    first being the current key. Ids are 1–32 letters, digits, - or _, each used once."""
    if isinstance(value, str):
        pairs = []
        for item in (p.strip() for p in value.split(",")):
            if not item:
                continue
            key_id, sep, key = item.partition(":")
            if not sep:
                raise ImproperlyConfigured(f"{what}: write each key as id:base64, see {DOC}")
            pairs.append((key_id.strip(), key))
    else:
        pairs = list(value)
    if not pairs:
        raise ImproperlyConfigured(f"{what} holds no key: see {DOC}")
    keys, seen = [], set()
    for key_id, key in pairs:
        if not KEY_ID.fullmatch(key_id):
            raise ImproperlyConfigured(
                f"{what}: a key id is 1 to 32 letters, digits, - or _, not {key_id!r}"
            )
        if key_id in seen:
            raise ImproperlyConfigured(f"{what}: the key id {key_id!r} is used twice")
        seen.add(key_id)
        keys.append((key_id, _decode_key(key, f"{what} ({key_id})")))
    return tuple(keys)


def format_data_keys(keys: Sequence[tuple[str, bytes]]) -> str:
    return ",".join(f"{key_id}:{base64.b64encode(key).decode()}" for key_id, key in keys)


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def new_key_id(existing: Sequence[str] = ()) -> str:
    """The date, and a few random characters so that two keys made the same day differ."""
    while True:
        key_id = f"k{dt.date.today():%Y%m%d}-{secrets.token_hex(2)}"
        if key_id not in existing:
            return key_id


def encoded(key: bytes) -> str:
    return base64.b64encode(key).decode()


# ── where the keys are ─────────────────────────────────────────────────────────────────


def _setting(name: str):
    from django.conf import settings

    value = getattr(settings, name, None)
    return value or None


def _configured() -> tuple[str | tuple | None, str | bytes | None, str | bytes | None]:
    """The raw values of the settings (data keys, index key, old index key)."""
    data, index, old = _setting("DATA_KEYS"), _setting("INDEX_KEY"), _setting("OLD_INDEX_KEY")
    if data and not isinstance(data, str):
        data = tuple(tuple(pair) for pair in data)
    return data, index, old


def _database_is_sqlite() -> bool:
    from django.conf import settings

    engine = settings.DATABASES.get("default", {}).get("ENGINE", "")
    return engine == "django.db.backends.sqlite3"


def refusal() -> str | None:
    """Why this installation cannot run (no keys with a database server), or None."""
    data, index, _old = _configured()
    if data and index:
        return None
    if data or index:
        return f"set both {DATA_KEYS_VAR} and {INDEX_KEY_VAR} (or neither, with SQLite): see {DOC}"
    # A key file already there (one app server, or moved from SQLite) is used, never made.
    if _database_is_sqlite() or keys_file().exists():
        return None
    return (
        f"{DATA_KEYS_VAR} and {INDEX_KEY_VAR} (or their _FILE) must be set with a database"
        f" server: every app server needs the same keys to read the ID numbers. See {DOC}."
    )


def check_configured() -> None:
    """Refuse to start without keys where none may be generated (AppConfig.ready)."""
    problem = refusal()
    if problem:
        raise ImproperlyConfigured(problem)


def keys_file() -> Path:
    from django.conf import settings

    return Path(settings.DATA_DIR) / KEYS_FILE


def read_keys_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values


def write_keys_file(path: Path, keys: Keys, *, replace: bool = True) -> None:
    """Write atomically, readable by the owner only. With replace=False an existing file
    wins (two processes starting at once generate one set of keys, not two)."""
    lines = [
        "# The keys of the ID numbers at rest (docs/security.md). Without this file the",
        "# encrypted ID numbers cannot be read: back it up apart from the database.",
        f"{DATA_KEYS_VAR}={format_data_keys(keys.data)}",
        f"{INDEX_KEY_VAR}={encoded(keys.index)}",
    ]
    if keys.old_index:
        lines.append(f"{OLD_INDEX_KEY_VAR}={encoded(keys.old_index)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(temporary, 0o600)
    if replace:
        os.replace(temporary, path)
    else:
        try:
            os.link(temporary, path)  # fails if the file exists: the first one stays
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    _from_file.cache_clear()
    forget()


@functools.lru_cache(maxsize=8)
def _from_file(path: Path, mtime_ns: int) -> Keys:
    values = read_keys_file(path)
    what = str(path)
    if not values.get(DATA_KEYS_VAR) or not values.get(INDEX_KEY_VAR):
        raise ImproperlyConfigured(f"{what} lacks {DATA_KEYS_VAR} or {INDEX_KEY_VAR}: see {DOC}")
    old = values.get(OLD_INDEX_KEY_VAR)
    return Keys(
        data=parse_data_keys(values[DATA_KEYS_VAR], f"{what}: {DATA_KEYS_VAR}"),
        index=_decode_key(values[INDEX_KEY_VAR], f"{what}: {INDEX_KEY_VAR}"),
        old_index=_decode_key(old, f"{what}: {OLD_INDEX_KEY_VAR}") if old else None,
        source=what,
    )


def _parsed(data, index, old) -> Keys:
    return Keys(
        # Named as operators set them (gaokao/settings.py reads the settings from these).
        data=parse_data_keys(data, DATA_KEYS_VAR),
        index=_decode_key(index, INDEX_KEY_VAR),
        old_index=_decode_key(old, OLD_INDEX_KEY_VAR) if old else None,
        source="settings",
    )


def uses_keys_file() -> bool:
    data, index, _old = _configured()
    return not (data or index)


# Reading the key file for every value would cost more than the AES-GCM itself (600,000
# values in an export): what was found there is kept for a second. Keys from the settings
# are kept until the settings change. Both are forgotten at once when the settings change
# or the key file is rewritten.
_TTL = 1.0
_cached: tuple[float | None, Keys] | None = None  # (when read, None: for good; the keys)


def forget() -> None:
    """Read the keys afresh at the next use."""
    global _cached
    _cached = None


@receiver(setting_changed)
def _setting_changed(setting, **kwargs):
    if setting in ("DATA_KEYS", "INDEX_KEY", "OLD_INDEX_KEY", "DATA_DIR", "DATABASES"):
        forget()


def get_keys() -> Keys:
    """The keys in force: those of the settings, or else those of the data folder's key
    file (generated on first use with SQLite)."""
    global _cached
    cached, now = _cached, time.monotonic()
    if cached is not None and (cached[0] is None or now - cached[0] < _TTL):
        return cached[1]
    found = _load()
    _cached = (None if found.source == "settings" else now, found)
    return found


def _load() -> Keys:
    problem = refusal()
    if problem:
        raise ImproperlyConfigured(problem)
    data, index, old = _configured()
    if data or index:
        return _parsed(data, index, old)
    path = keys_file()
    try:
        stat = path.stat()
    except FileNotFoundError:
        generated = Keys(data=((new_key_id(), new_key()),), index=new_key())
        write_keys_file(path, generated, replace=False)
        stat = path.stat()
    return _from_file(path, stat.st_mtime_ns)


def current_data_key() -> tuple[str, bytes]:
    return get_keys().current


def data_key(key_id: str) -> bytes | None:
    return get_keys().data_key(key_id)


def index_key() -> bytes:
    return get_keys().index


def old_index_key() -> bytes | None:
    return get_keys().old_index


def environment() -> dict[str, str]:
    """The keys in force as environment variables, for another process that must read and
    write the same values (the app servers a test starts on its database)."""
    found = get_keys()
    env = {DATA_KEYS_VAR: format_data_keys(found.data), INDEX_KEY_VAR: encoded(found.index)}
    if found.old_index:
        env[OLD_INDEX_KEY_VAR] = encoded(found.old_index)
    return env
