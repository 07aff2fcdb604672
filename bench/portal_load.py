"""Candidate portal under mixed load (issue 11, E1), against its floor, in one run.

    createdb -h 127.0.0.1 -U postgres scale
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scale SECRET_KEY=bench \\
        .venv/bin/gaokao seed-scale --candidates 600000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scale SECRET_KEY=bench \\
        .venv/bin/python bench/portal_load.py --users 20 --time 60

    .venv/bin/python bench/portal_load.py --users 2 --time 5    # CI smoke: SQLite, seeded here

Without DATABASE_URL it seeds a small province (--seed, default 1,000) into a temporary
SQLite database. Without GAOKAO_DATA_KEYS/GAOKAO_INDEX_KEY it sets fixed benchmark keys (the
same for `seed-scale` if it ran with this script's environment; see BENCH_KEYS).

Two servers, one after the other, in the same setup: gunicorn with the deployment's options
(docs/deploy.md: gthread, 4 threads, workers = cores, DEBUG off, its logs to /dev/null,
127.0.0.1 trusted as the proxy so that X-Forwarded-For gives each simulated candidate its own
address), on the same database:

- ours: gaokao.wsgi, the real portal;
- floor: bench/floor, bare Django views doing the same reads and writes with no templates,
  forms, encryption, audit chain, admission control or password checks.

Locust (bench/locustfile.py, headless, its own process, on loopback) runs --users simulated
candidates for --time seconds against each; every session takes a fresh seeded candidate
(stage "at the point", confirmation password set, window open). Then: requests/s, p50/p99 per
request type and overall, and sessions per hour. The floor's sessions per hour are then
charged with the password checks a session needs (1 login + 2 confirmation checks),
measured here in the same run: floor + hashes = 1 / (1/floor + 3 × check / cores).
Goal: ours ≥ 60 % of floor + hashes, p99 < 500 ms.

With --think S, each simulated candidate pauses 0.5–1.5 × S seconds after every request (a
person reading the page): the load is then paced rather than saturating, and the latencies
are those candidates see at that load. Sessions per hour then measure the pace, not the
capacity, so the ratio is not printed; p50/p99 of ours and of the floor are.

    .venv/bin/python bench/portal_load.py --users 40 --time 120 --think 2

Admission control (gaokao/gate) is switched off for the run (cap 0 = no limit; the previous
cap is put back after) and the run refuses to start while the portal is paused or a time slot
restricts today. Sign-in throttles count failures only; every sign-in here succeeds.
"""

import argparse
import csv
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import use_bench_keys  # noqa: E402

VENV_BIN = Path(sys.executable).parent
CHECKS_PER_SESSION = 3


def environment(args, tmp: Path) -> dict:
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        env["GAOKAO_DATA_DIR"] = str(tmp / "data")
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'portal.sqlite3'}"
    elif env["DATABASE_URL"].startswith("postgres"):
        use_bench_keys(env)
    env.setdefault("SECRET_KEY", "bench")
    env.update(
        DJANGO_SETTINGS_MODULE="gaokao.settings",
        DEBUG="False",
        LOG_FORMAT="json",
        LOG_LEVEL="WARNING",
        GAOKAO_TRUSTED_PROXIES="127.0.0.1",
        PYTHONPATH=str(ROOT),
    )
    if args.redis:
        env["REDIS_URL"] = args.redis
    return env


def redis_reachable(url: str) -> bool:
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
        return True
    except OSError:
        return False


def prepare(args) -> dict:
    """In this process (the environment already set): seed if needed, open the gate, pick
    the candidates, and time the password checks. Returns what the report needs."""
    import django

    django.setup()
    from django.contrib.auth.hashers import check_password
    from django.core.management import call_command
    from django.db import connection

    from gaokao.candidates.models import Candidate, ReviewState, Stage
    from gaokao.demo.scale import CONFIRMATION_PASSWORD, PORTAL_PASSWORD, seed_scale
    from gaokao.gate.models import Admission, Pause, TimeSlot
    from gaokao.seasons import current

    call_command("migrate", verbosity=0)
    if not Candidate.objects.exists():
        print(f"empty database: seeding {args.seed:,} candidates …", flush=True)
        seed_scale(args.seed, points_per_county=1)
    if Pause.objects.exists():
        raise SystemExit("the portal or office is paused (gaokao/gate): lift the pause first")
    today = time.strftime("%Y-%m-%d")
    if TimeSlot.objects.filter(first_day__lte=today, last_day__gte=today).exists():
        raise SystemExit("a time slot restricts sign-in today (gaokao/gate): remove it first")
    row, _ = Admission.objects.get_or_create(pk=1)
    previous_cap, row.cap = row.cap, 0
    row.save(update_fields=["cap"])
    season = current()
    eligible = (
        Candidate.objects.filter(season=season, stage=Stage.POINT)
        .exclude(confirmation_password="")
        .exclude(portal_password="")
        .exclude(subject_track="6")
        .filter(review_state__in=[ReviewState.NOT_REQUIRED, ReviewState.APPROVED])
    )
    numbers = list(eligible.order_by("?").values_list("registration_number", flat=True)[:50_000])
    stored = eligible.values_list("portal_password", "confirmation_password").first()
    checks = []
    for _ in range(args.hash_repeat):
        start = time.process_time()
        ok = check_password(PORTAL_PASSWORD, stored[0])
        ok = ok and check_password(CONFIRMATION_PASSWORD, stored[1])
        checks.append((time.process_time() - start) / 2)
        if not ok:
            raise SystemExit("the seeded passwords do not match gaokao.demo.scale's")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS bench_floor_event (id bigserial PRIMARY KEY,"
                " at timestamptz NOT NULL, action varchar(40) NOT NULL,"
                " target varchar(200) NOT NULL, detail text NOT NULL)"
            )
        else:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS bench_floor_event (id integer PRIMARY KEY"
                " AUTOINCREMENT, at text, action text, target text, detail text)"
            )
    return {
        "vendor": connection.vendor,
        "candidates": Candidate.objects.filter(season=season).count(),
        "numbers": numbers,
        "check_seconds": statistics.median(checks),
        "previous_cap": previous_cap,
        "passwords": (PORTAL_PASSWORD, CONFIRMATION_PASSWORD),
    }


def restore_cap(previous: int) -> None:
    from gaokao.gate.models import Admission

    Admission.objects.filter(pk=1).update(cap=previous)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app: str, env: dict, workers: int, port: int) -> subprocess.Popen:
    command = [
        str(VENV_BIN / "gunicorn"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--worker-class",
        "gthread",
        "--timeout",
        "60",
        "--keep-alive",  # as docs/deploy.md: longer than a client leaves a connection idle
        "75",
        "--forwarded-allow-ips",
        "127.0.0.1",
        "--chdir",
        str(ROOT),
    ]
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    path = "/healthz" if "floor" in app else "/ks/"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2).read()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn {app} exited ({server.returncode})") from None
            time.sleep(0.2)
    stop(server)
    raise SystemExit(f"gunicorn {app} did not answer")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def load(env: dict, port: int, args, out: Path) -> dict:
    prefix = out / "locust"
    command = [
        str(VENV_BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",  # paced: candidates arrive over ten seconds, not all at once
        str(max(1, args.users // 10) if args.think else args.users),
        "--run-time",
        f"{args.time}s",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "10",
    ]
    started = time.perf_counter()
    with (out / "locust.log").open("w") as log:
        subprocess.run(command, env=env, check=False, stdout=log, stderr=log)  # noqa: S603
    seconds = min(time.perf_counter() - started, args.time)
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    sessions = int(rows.get("sign out", {}).get("Request Count", 0) or 0)
    sessions -= int(rows.get("sign out", {}).get("Failure Count", 0) or 0)
    return {"rows": rows, "sessions_per_hour": sessions * 3600 / seconds, "sessions": sessions}


ORDER = [
    "sign-in page",
    "sign in",
    "status page",
    "data page",
    "proofreading page",
    "data save",
    "sign out",
    "Aggregated",
]


def report(ours: dict, floor: dict, info: dict, args, cores: int) -> None:
    pace = f", {args.think:g} s to read each page" if args.think else ", no pause"
    print(
        f"\n{info['candidates']:,} candidates on {info['vendor']}; {args.users} users{pace},"
        f" {args.time} s each; gunicorn {args.workers} workers × 4 threads; {cores} cores"
        " shared with the load generator"
    )
    print(f"{'':20}{'ours':>34}  |{'floor (no hashes)':>34}")
    head = f"{'req':>7}{'fail':>6}{'req/s':>7}{'p50 ms':>7}{'p99 ms':>7}"
    print(f"{'request':20}{head}  |{head}")
    for name in ORDER:
        cells = []
        for run in (ours, floor):
            row = run["rows"].get(name)
            if row is None:
                cells.append(f"{'—':>34}")
                continue
            cells.append(
                f"{int(row['Request Count']):7d}{int(row['Failure Count']):6d}"
                f"{float(row['Requests/s']):7.1f}{row['50%']:>7}{row['99%']:>7}"
            )
        print(f"{name:20}{cells[0]}  |{cells[1]}")
    if args.think:
        print(
            f"\nsessions per hour (the pace): ours {ours['sessions_per_hour']:,.0f},"
            f" floor {floor['sessions_per_hour']:,.0f}"
        )
    else:
        capacity(ours, floor, info, args, cores)
    p99 = ours["rows"].get("Aggregated", {}).get("99%", "?")
    print(f"p99 ours, all requests:         {p99:>12} ms (goal < 500)")


def capacity(ours: dict, floor: dict, info: dict, args, cores: int) -> None:
    """Sessions per hour of ours against the floor charged with the password checks."""
    check = info["check_seconds"]
    floor_raw = floor["sessions_per_hour"]
    hashes_hours = CHECKS_PER_SESSION * check / cores / 3600
    floor_hashed = 1 / (1 / floor_raw + hashes_hours) if floor_raw else 0.0
    print(
        f"\npassword check (Argon2id, CPU, median of {args.hash_repeat}): {check * 1000:.1f} ms;"
        f" a session's {CHECKS_PER_SESSION} checks: {CHECKS_PER_SESSION * check * 1000:.0f} ms"
    )
    print(f"{'sessions per hour':34}{'':>2}")
    print(f"  ours                          {ours['sessions_per_hour']:12,.0f}")
    print(f"  floor (no hashes)             {floor_raw:12,.0f}")
    print(f"  floor + hashes                {floor_hashed:12,.0f}")
    ratio = ours["sessions_per_hour"] / floor_hashed if floor_hashed else 0.0
    print(f"ratio ours / (floor + hashes):  {ratio:12.2f}   (goal ≥ 0.60)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20, help="simulated candidates at once")
    parser.add_argument("--time", type=int, default=60, help="seconds of load per server")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1000, help="candidates if the DB is empty")
    parser.add_argument("--hash-repeat", type=int, default=10)
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/11", help="REDIS_URL ('' for none)"
    )
    parser.add_argument(
        "--think", type=float, default=0.0, help="seconds a candidate reads each page (0: none)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the locust CSV files")
    args = parser.parse_args()
    if args.redis and not redis_reachable(args.redis):
        print(f"{args.redis} does not answer: running without Redis")
        args.redis = ""
    tmp = Path(tempfile.mkdtemp(prefix="portal-load-"))
    env = environment(args, tmp)
    os.environ.update(env)
    info = prepare(args)
    numbers = tmp / "numbers.txt"
    numbers.write_text("\n".join(info["numbers"]))
    env |= {
        "PORTAL_BENCH_CANDIDATES": str(numbers),
        "PORTAL_BENCH_PASSWORD": info["passwords"][0],
        "PORTAL_BENCH_CONFIRMATION": info["passwords"][1],
        "PORTAL_BENCH_THINK": str(args.think),
    }
    print(
        f"{len(info['numbers']):,} candidates to sign in; admission cap set to 0 (no limit),"
        f" was {info['previous_cap']}",
        flush=True,
    )
    results = {}
    try:
        for label, app in (("ours", "gaokao.wsgi:application"), ("floor", "bench.floor.wsgi")):
            port = free_port()
            server = serve(app if ":" in app else f"{app}:application", env, args.workers, port)
            try:
                (tmp / label).mkdir()
                print(f"{label}: {args.users} users for {args.time} s …", flush=True)
                results[label] = load(env, port, args, tmp / label)
            finally:
                stop(server)
    finally:
        restore_cap(info["previous_cap"])
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    report(results["ours"], results["floor"], info, args, os.cpu_count() or 1)
    if args.keep:
        print(f"locust CSV files: {tmp}")


if __name__ == "__main__":
    main()
