"""What the benchmarks share: their keys for ID numbers at rest, and the scratch
environment of those that build their own database."""

import os
import tempfile
from pathlib import Path

# Keys for ID numbers at rest in benchmark databases only: never a deployment's keys
# (docs/security.md). Every benchmark uses these when the environment names none, so that a
# province seeded by one (or by `gaokao seed-scale` under bin/bench) is readable by the others.

BENCH_KEYS = {
    "GAOKAO_DATA_KEYS": "bench:0eTT9ESIuTN4BFrohAJMR+sfsLOK0ymSYsFfWfw4A5Q=",
    "GAOKAO_INDEX_KEY": "TIQTA4zWBaW4ZFObyiMjjnMboWW8kmH0Bg4oFjZoylU=",
}


def use_bench_keys(environ=os.environ) -> None:
    """The bench keys, unless the environment gives keys of its own."""
    if not environ.get("GAOKAO_DATA_KEYS") and not environ.get("GAOKAO_DATA_KEYS_FILE"):
        environ.update(BENCH_KEYS)
    environ.setdefault("SECRET_KEY", "bench")


def scratch_environment(prefix: str) -> Path:
    """A temporary directory for a benchmark's files, and its database: a SQLite file there,
    or, when DATABASE_URL names PostgreSQL, a scratch database the script creates next to
    it (with the bench keys). Call before django.setup()."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["GAOKAO_DATA_DIR"] = str(work / "data")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
        os.environ.pop("SECRET_KEY", None)
    else:
        use_bench_keys()
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # not a line per request
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaokao.settings")
    return work
