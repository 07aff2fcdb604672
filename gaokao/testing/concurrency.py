"""Run work in threads that start at the same moment (concurrency tests on PostgreSQL)."""

import threading

from django.db import connection


def run_together(n: int, work) -> list:
    """work(i) in n threads released together; each result, or the exception it raised."""
    barrier, results = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as e:  # the callers' assertions look at what each thread got
            results[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results
