"""Keys for ID numbers at rest in benchmark databases only: never a deployment's keys
(docs/security.md). Every benchmark uses these when the environment names none, so that a
province seeded by one (or by `gaokao seed-scale` under bin/bench) is readable by the
others."""

import os

BENCH_KEYS = {
    "GAOKAO_DATA_KEYS": "bench:0eTT9ESIuTN4BFrohAJMR+sfsLOK0ymSYsFfWfw4A5Q=",
    "GAOKAO_INDEX_KEY": "TIQTA4zWBaW4ZFObyiMjjnMboWW8kmH0Bg4oFjZoylU=",
}


def use_bench_keys(environ=os.environ) -> None:
    """The bench keys, unless the environment gives keys of its own."""
    if not environ.get("GAOKAO_DATA_KEYS") and not environ.get("GAOKAO_DATA_KEYS_FILE"):
        environ.update(BENCH_KEYS)
    environ.setdefault("SECRET_KEY", "bench")
