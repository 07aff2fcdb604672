"""gunicorn server hooks for metrics from several worker processes (E1, E3).

    PROMETHEUS_MULTIPROC_DIR=/run/gaokao/metrics \\
        gunicorn -c python:gaokao.ops.gunicorn_hooks --workers 8 gaokao.wsgi

With PROMETHEUS_MULTIPROC_DIR set, every worker writes its counts into that folder and
/metrics on any worker adds them all up. The folder must be empty when gunicorn starts
(counts of an earlier run would be added again): `on_starting` empties it. `child_exit`
tells the library that a worker is gone, so its gauges no longer count.

Only hooks live here; pass the other settings (bind, workers, timeouts) on the command line
or in your own config file that imports these two functions.
"""

import os
from pathlib import Path


def on_starting(server) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
