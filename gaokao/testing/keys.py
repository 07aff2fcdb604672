"""Keys of the ID numbers at rest (gaokao.privacy.keys) for a test run on a database
server, loaded as a pytest plugin (`-p gaokao.testing.keys`, pyproject.toml) before Django
reads its settings.

With SQLite each test generates its own key file in its own data folder, as an
installation does. With PostgreSQL the keys must come from the settings, as in a
deployment, or Django refuses to start: this sets GAOKAO_DATA_KEYS and GAOKAO_INDEX_KEY,
which gaokao/settings.py reads once, unless the run was given keys of its own. Fresh random
keys for each run: nothing is encrypted with them beyond the test database. Commands that
tests run in a subprocess inherit them.
"""

import base64
import os
import secrets

DATABASE_SERVERS = ("postgres://", "postgresql://", "pgsql://")


def _random_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


# At import, not in a hook: pytest-django sets Django up before any conftest is loaded.
if os.environ.get("DATABASE_URL", "").startswith(DATABASE_SERVERS) and not (
    os.environ.get("GAOKAO_DATA_KEYS") or os.environ.get("GAOKAO_DATA_KEYS_FILE")
):
    os.environ["GAOKAO_DATA_KEYS"] = f"test:{_random_key()}"
    os.environ["GAOKAO_INDEX_KEY"] = _random_key()
