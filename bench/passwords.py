"""Password hashing (issue 11): the cost of one check with the chosen parameters, and the
capacity and cores that follow.

    .venv/bin/python bench/passwords.py [--repeat 30] [--candidates 600000] [--peak-share 0.1]

Times a check against a stored hash for our Argon2idHasher (m=19 MiB, t=2, p=1,
gaokao/accounts/hashers.py), Django's own Argon2 default (m=100 MiB, t=2, p=8) and Django's
PBKDF2 default (the floor any Django project pays), best and median of N, wall and CPU time;
the capacity is computed from the CPU time, which on a shared machine excludes waiting.
A portal session needs 1 login check and 2 confirmation-password checks (two saves), so a
core does 3600 / (3 × check) sessions an hour on hashing alone. The busiest hour is assumed
to bring `peak-share` of all candidates (10 %: 60,000 of Hunan's 600,000; 1.1 million of
China's 11 million).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django
from django.conf import settings

settings.configure(PASSWORD_HASHERS=["gaokao.accounts.hashers.Argon2idHasher"])
django.setup()

from django.contrib.auth.hashers import (  # noqa: E402
    Argon2PasswordHasher,
    PBKDF2PasswordHasher,
)

from gaokao.accounts.hashers import Argon2idHasher  # noqa: E402

PASSWORD = "kaosheng-2020"  # noqa: S105 (a sample)
CHECKS_PER_SESSION = 3  # 1 login + 2 saves confirmed with the confirmation password


def timed(hasher, repeat: int) -> tuple[list[float], list[float]]:
    encoded = hasher.encode(PASSWORD, hasher.salt())
    hasher.verify(PASSWORD, encoded)  # warm up
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        if not hasher.verify(PASSWORD, encoded):
            raise SystemExit(f"{hasher.algorithm}: the check failed")
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="checks timed per hasher")
    parser.add_argument("--candidates", type=int, default=600_000, help="the province's")
    parser.add_argument("--country", type=int, default=11_000_000, help="China's candidates")
    parser.add_argument("--peak-share", type=float, default=0.10, help="of all, in the peak hour")
    args = parser.parse_args()
    hashers = [
        ("ours: Argon2id m=19MiB t=2 p=1", Argon2idHasher()),
        ("Django Argon2 default m=100MiB t=2 p=8", Argon2PasswordHasher()),
        (
            f"floor: Django PBKDF2 default ({PBKDF2PasswordHasher.iterations:,} it.)",
            PBKDF2PasswordHasher(),
        ),
    ]
    cores = os.cpu_count() or 1
    print(f"{args.repeat} checks each, {cores} cores (ms per check)")
    print(f"{'':44}{'best':>8}{'median':>8}{'CPU med':>9}{'sessions/h/core':>17}")
    results = {}
    for label, hasher in hashers:
        wall, cpu = timed(hasher, args.repeat)
        # CPU time (of all threads): on a shared machine the wall time includes waiting.
        cost = statistics.median(cpu)
        per_core = 3600_000 / (CHECKS_PER_SESSION * cost)
        results[label] = cost
        print(
            f"{label:44}{min(wall):8.1f}{statistics.median(wall):8.1f}"
            f"{statistics.median(cpu):9.1f}{per_core:17,.0f}"
        )
    ours = results[hashers[0][0]]
    floor = results[hashers[2][0]]
    print(f"\nratio ours / PBKDF2 floor (CPU per check): {ours / floor:.2f}")
    print(f"a session = {CHECKS_PER_SESSION} checks = {CHECKS_PER_SESSION * ours:.0f} ms of CPU")
    for name, total in (("province", args.candidates), ("China", args.country)):
        peak = total * args.peak_share
        core_seconds = peak * CHECKS_PER_SESSION * ours / 1000
        print(
            f"{name}: {total:,} candidates, {peak:,.0f} sessions in the peak hour -> "
            f"{core_seconds / 3600:.2f} cores busy hashing all hour (ours), "
            f"{peak * CHECKS_PER_SESSION * floor / 1000 / 3600:.2f} with PBKDF2"
        )


if __name__ == "__main__":
    main()
