"""Sync and bundles (R4, S3, E5): changes pushed by a point client per second, replays of
the same changes, and a disc bundle written by the client and imported by the county, each
beside the floor of inserting the same candidates with bulk_create.

    .venv/bin/python bench/sync_bundles.py [--count 5000]          # SQLite, in process
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/benches SECRET_KEY=bench \\
        .venv/bin/python bench/sync_bundles.py --count 5000 [--http]

It works in a database of its own: a temporary SQLite file, or on PostgreSQL a scratch
database (`bench_sync_<pid>`, made by Django's test machinery, dropped at the end), so the
project's data is never touched. It seeds a county with two points, each with a number
range for track 5, a season whose registration window is open now, and point accounts
with real-name authentication and an authenticator; it enrols one point client per point
through POST /api/v1/enrol (password and TOTP code, as `gaokao client enrol` does).

(a) Sync: N create changes (the shape the client's outbox freezes) pushed through the
    real API by the client's own `gaokao.client.sync.Api`, in batches of the client's
    BATCH (200): through Django's test client in this process, or with --http through
    HTTP to a gunicorn this script starts on the same database. Then the same N again:
    each is answered as a duplicate.
(b) Bundle: N outbox entries of the second point's client written to a disc bundle by
    `gaokao.client.export.export_bundle` (signed with the device's Ed25519 key, encrypted
    for the server's X25519 key), then imported as the county's page does: the dry run
    (`check`, the file held), then `apply`; then the same file imported again.

Floors, in the same run: the same N candidates inserted with one bulk_create, and with one
INSERT (Model.save) per candidate each in its own transaction; both rolled back. See
bench/README.md.
"""

import argparse
import base64
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import scratch_environment  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--count", type=int, default=5000, help="changes and candidates (5000)")
parser.add_argument("--http", action="store_true", help="push over HTTP to a local gunicorn")
parser.add_argument("--workers", type=int, default=2, help="gunicorn workers with --http")
parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
ARGS = parser.parse_args()

WORK = scratch_environment("gaokao-bench-sync-")

import django  # noqa: E402

django.setup()

import pyotp  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from gaokao.bundles import format as bf  # noqa: E402
from gaokao.bundles import services as bundles  # noqa: E402
from gaokao.candidates.models import Candidate, IdentitySource  # noqa: E402
from gaokao.client import sync as client_sync  # noqa: E402
from gaokao.client.enrolment import _write_key  # noqa: E402
from gaokao.client.export import export_bundle  # noqa: E402
from gaokao.client.models import ClientState, Outbox  # noqa: E402
from gaokao.codes.models import Code, Table  # noqa: E402
from gaokao.lib.idnumber import check_digit  # noqa: E402
from gaokao.numbering.models import NumberRange, registration_number  # noqa: E402
from gaokao.payments.testing import client_transport  # noqa: E402
from gaokao.presets.services import PRESETS_DIR, LoadReport, load_codes  # noqa: E402
from gaokao.seasons.models import PhaseKind  # noqa: E402
from gaokao.sync.models import Device  # noqa: E402
from gaokao.testing.factories import (  # noqa: E402
    CountyFactory,
    PointFactory,
    SeasonFactory,
    add_phase,
    staff_for,
)

PASSWORD = "bench-password-7"  # noqa: S105 (a scratch database's account)
SERVER = "http://127.0.0.1"  # a host ALLOWED_HOSTS accepts by default


def fields_of(point, n: int, person: int) -> dict:
    """The n-th candidate of `point` as a create change's fields (track 5, number n); the
    ID number follows from `person`, different for every person of the run."""
    birth = dt.date(2002, 1, 1) + dt.timedelta(days=person // 1000)
    first17 = f"430102{birth:%Y%m%d}{person % 1000:03d}"
    return {
        "document_type": "1",
        "name": f"同步考生{n}",
        "sex": "1" if n % 2 else "2",
        "ethnicity": "01",
        "birth_date": birth.isoformat(),
        "id_number": first17 + check_digit(first17),
        "identity_source": "reader",
        "eligibility_path": "normal",
        "subject_track": "5",
        "registration_number": registration_number(point.county.registration_code, n),
        "documents_received": True,
        "fee_fen": 4000,
        "fee_receipt": f"R-{n:05d}",
        "eligibility": "eligible",
        "eligibility_note": "",
        "keyed_from_paper": False,
    }


def change(point, n: int, person: int | None = None) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": "create",
        "candidate": str(uuid.uuid4()),
        "base_version": None,
        "fields": fields_of(point, n, n if person is None else person),
    }


def seed(count: int):
    load_codes(Path(PRESETS_DIR) / "hunan-2020" / "codes.csv", LoadReport())
    county, disc_county = CountyFactory(), CountyFactory()  # one sync point, one disc point
    season = SeasonFactory(province=county.parent.parent)
    today = timezone.localdate()
    add_phase(
        season,
        PhaseKind.MAIN,
        opens=today - dt.timedelta(days=10),
        closes=today + dt.timedelta(days=10),
    )
    track = Code.objects.get(table=Table.SUBJECT_TRACK, code="5")
    points, users = [], []
    for n, where in enumerate((county, disc_county)):
        point = PointFactory(county=where)
        NumberRange.objects.create(
            season=season, point=point, subject_track=track, first=1, last=9999, next_serial=1
        )
        user = staff_for(point, username=f"bench-point-{n}")
        user.set_password(PASSWORD)
        user.totp_secret = pyotp.random_base32()
        user.real_name_verified_at = timezone.now()
        user.save()
        points.append(point)
        users.append(user)
    return season, points, users, staff_for(disc_county, username="bench-county")


def enrol(api: client_sync.Api, user, key: Ed25519PrivateKey) -> tuple[Device, str]:
    """The enrolment `gaokao client enrol` makes (POST /enrol with password and code)."""
    public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    status, data = api.call(
        "POST",
        "/enrol",
        {
            "username": user.username,
            "password": PASSWORD,
            "totp": pyotp.TOTP(user.totp_secret).now(),
            "device_name": "教务处电脑1",
            "public_key": public,
        },
        device_refused=False,
    )
    if status != 200:
        sys.exit(f"enrolment refused: {status} {data}")
    return Device.objects.get(pk=data["device"]), data["token"]


def push_all(api: client_sync.Api, changes: list[dict]) -> tuple[float, dict[str, int]]:
    counts: dict[str, int] = {}
    started = time.perf_counter()
    for start in range(0, len(changes), client_sync.BATCH):
        batch = changes[start : start + client_sync.BATCH]
        status, data = api.call("POST", "/push", {"changes": batch})
        if status != 200:
            sys.exit(f"push refused: {status} {data}")
        for result in data["results"]:
            counts[result["status"]] = counts.get(result["status"], 0) + 1
    return time.perf_counter() - started, counts


def candidates_of(season, point, user, changes: list[dict]) -> list[Candidate]:
    rows = []
    for c in changes:
        f = c["fields"]
        rows.append(
            Candidate(
                id=c["candidate"],
                season=season,
                point=point,
                created_by=user,
                document_type=f["document_type"],
                name=f["name"],
                sex=f["sex"],
                ethnicity=f["ethnicity"],
                birth_date=f["birth_date"],
                id_number=f["id_number"],
                identity_source=IdentitySource.READER,
                subject_track=f["subject_track"],
                registration_number=f["registration_number"],
                documents_received=True,
                fee_fen=f["fee_fen"],
                fee_receipt=f["fee_receipt"],
                eligibility=f["eligibility"],
            )
        )
    return rows


class Rollback(Exception):
    pass


def floor_bulk(season, point, user, changes) -> float:
    rows = candidates_of(season, point, user, changes)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            Candidate.objects.bulk_create(rows, batch_size=1000)
            seconds = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return seconds


def floor_each(season, point, user, changes) -> float:
    rows = candidates_of(season, point, user, changes)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            for row in rows:
                with transaction.atomic():  # a savepoint each, as each change has its own
                    row.save(force_insert=True)
            seconds = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn() -> tuple[subprocess.Popen, str]:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        url = f"postgres://{db['USER'] or 'postgres'}@{host}:{port}/{db['NAME']}"
    else:
        url = f"sqlite:///{db['NAME']}"
    port = free_port()
    env = os.environ | {"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "DEBUG": "False"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = (WORK / "gunicorn.log").open("w")
    command = [str(gunicorn), "gaokao.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(  # noqa: S603 (our own server, our arguments)
        [*command, "--workers", str(ARGS.workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310
            return process, base
        except OSError:
            time.sleep(0.2)
    process.terminate()
    sys.exit((WORK / "gunicorn.log").read_text())


def line(label: str, seconds: float, count: int, note: str = "") -> None:
    print(f"{label:44}{seconds:>9.2f}{count / seconds:>11.0f}  {note}".rstrip(), flush=True)


def main() -> None:
    n = ARGS.count
    test_db, old_name = None, connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":  # a name of its own: benches may run at once
        connection.settings_dict["TEST"]["NAME"] = f"bench_sync_{os.getpid()}"
        test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    else:
        call_command("migrate", verbosity=0)
    server = None
    try:
        season, (point, disc_point), (user, disc_user), county_user = seed(n)
        base, transport = SERVER, client_transport
        if ARGS.http:
            server, base = start_gunicorn()
            transport = client_sync.urllib_transport
        how = f"HTTP to gunicorn ({ARGS.workers} workers)" if ARGS.http else "in process"
        print(f"database: {connection.vendor}; {n} changes; the API {how}")
        api = client_sync.Api(base, "", transport)
        _device, token = enrol(api, user, Ed25519PrivateKey.generate())
        api = client_sync.Api(base, token, transport)

        changes = [change(point, i) for i in range(1, n + 1)]
        print(f"{'':44}{'seconds':>9}{'per second':>11}")
        push_floor = floor_bulk(season, point, user, changes)
        line("floor: bulk_create (one transaction)", push_floor, n)
        each_floor = floor_each(season, point, user, changes)
        line("floor: one INSERT per candidate, savepoint", each_floor, n)
        seconds, counts = push_all(api, changes)
        line(f"sync push, batches of {client_sync.BATCH}", seconds, n, str(counts))
        push_seconds = seconds
        seconds, counts = push_all(api, changes)
        line("sync push again (replays)", seconds, n, str(counts))

        # (b) the second point's client writes its outbox to a disc; the county imports it.
        disc_key = Ed25519PrivateKey.generate()
        disc_device, disc_token = enrol(client_sync.Api(base, "", transport), disc_user, disc_key)
        _write_key(disc_key)
        ClientState.objects.create(
            pk=1,
            server_url=base,
            device_id=disc_device.pk,
            token=disc_token,
            point_code=disc_point.code,
        )
        disc_changes = [change(disc_point, i, n + i) for i in range(1, n + 1)]
        Outbox.objects.bulk_create(
            Outbox(
                id=c["id"],
                kind=Outbox.Kind.CHANGE,
                candidate_id=c["candidate"],
                payload={"kind": "create", "base_version": None, "fields": c["fields"]},
            )
            for c in disc_changes
        )
        bulk = floor_bulk(season, disc_point, disc_user, disc_changes)
        started = time.perf_counter()
        written = export_bundle(WORK / "bundle.gkb", server_key_b64=bf.server_public_key_b64())
        line("client export (bundle written)", time.perf_counter() - started, written.changes,
             f"{written.size / 2**20:.1f} MiB")  # fmt: skip
        data = written.path.read_bytes()

        started = time.perf_counter()
        bf.read_bundle(
            data,
            server_private_key=bf.server_private_key(),
            device_key_for=lambda _id: bf.ed25519_public_key(disc_device.public_key),
        )
        line("  of which to open: read_bundle (verify, decrypt)", time.perf_counter() - started, n)
        started = time.perf_counter()
        summary = bundles.check(data, county_user)
        digest = bundles.hold(data, county_user)
        check_seconds = time.perf_counter() - started
        line("county import: dry run (check, hold)", check_seconds, n,
             f"{summary.creates} creates, {summary.already_received} received before")  # fmt: skip
        started = time.perf_counter()
        result = bundles.apply(bundles.held(county_user, digest), county_user)
        bundles.discard(county_user, digest)
        apply_seconds = time.perf_counter() - started
        line("county import: apply", apply_seconds, n, str(result.counts))
        line("county import: dry run + apply", check_seconds + apply_seconds, n)
        line("floor: bulk_create (one transaction)", bulk, n)
        started = time.perf_counter()
        bundles.check(data, county_user)
        result = bundles.apply(data, county_user)
        line("re-import of the same file (dry run + apply)", time.perf_counter() - started, n,
             str(result.counts))  # fmt: skip
        made = Candidate.objects.filter(season=season).count()
        print(f"candidates made: {made} (of {2 * n})")
        print(f"ratio sync push / bulk_create:              {push_seconds / push_floor:>6.1f}")
        print(f"ratio sync push / one INSERT per candidate: {push_seconds / each_floor:>6.1f}")
        imported = check_seconds + apply_seconds
        print(f"ratio import (dry run + apply) / bulk_create: {imported / bulk:>4.1f}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        if test_db is not None:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        if ARGS.keep:
            print(f"kept {WORK}")
        else:
            shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
