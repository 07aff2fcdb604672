"""The project's shared pytest fixtures, loaded as a plugin by the root gaokao/conftest.py.

Every view test uses three staff users in the manner of healthchecks' Alice, Bob and
Charlie: a county user, a point user of that county, and a user of *another* county who
must see nothing of the first. Above them: the code tables, a clock inside the main
registration window (报名期), the current season with that window open, the point's
number range, complete candidates, and an enrolled point client. A directory's
conftest.py changes one of them by overriding it (`now`, `ticking`, `windows`, or the
fixture itself), never by copying it."""

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone, translation

from gaokao.codes.models import Code, Table
from gaokao.numbering.models import NumberRange
from gaokao.photos.tests import images
from gaokao.presets.services import PRESETS_DIR, LoadReport, load_codes
from gaokao.privacy import keys
from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import (
    CandidateFactory,
    CountyFactory,
    PointFactory,
    SeasonFactory,
    add_phase,
    staff_for,
)

# Inside the main window of `season` (28 October to 15 November 2019, Asia/Shanghai).
NOW = dt.datetime(2019, 11, 9, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
MAIN_OPENS, MAIN_CLOSES = dt.date(2019, 10, 28), dt.date(2019, 11, 15)

# A season's windows as the submission tests need them: the main window closes on
# 8 November, the cities' reviews follow, and the youth-class registration is in January.
EVERY_WINDOW = [
    (PhaseKind.MAIN, MAIN_OPENS, dt.date(2019, 11, 8)),
    (PhaseKind.CITY_ART, MAIN_OPENS, dt.date(2019, 11, 20)),
    (PhaseKind.CITY_ALL, MAIN_OPENS, dt.date(2019, 12, 10)),
    (PhaseKind.YOUTH, dt.date(2020, 1, 13), dt.date(2020, 1, 16)),
]


# ── places and people ──────────────────────────────────────────────────────────────────


@pytest.fixture
def county(db):
    return CountyFactory()


@pytest.fixture
def point(county):
    return PointFactory(county=county)


@pytest.fixture
def other_county(db):
    return CountyFactory()


@pytest.fixture
def other_point(other_county):
    return PointFactory(county=other_county)


@pytest.fixture
def county_user(county):
    return staff_for(county)


@pytest.fixture
def point_user(point):
    return staff_for(point)


@pytest.fixture
def city_user(county):
    return staff_for(county.parent)


@pytest.fixture
def province_user(county):
    return staff_for(county.parent.parent)


@pytest.fixture
def other_city_user(other_county):
    return staff_for(other_county.parent)


@pytest.fixture
def other_county_user(other_county, other_point):
    return staff_for(other_county)


# ── files, keys, language ──────────────────────────────────────────────────────────────


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded files (photos, attachments) and data files (keys, held uploads) of each
    test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path / "data"
    return settings.MEDIA_ROOT


@pytest.fixture
def data_dir(settings, media):
    """The test's own data directory (keys, held uploads), set by `media`."""
    return settings.DATA_DIR


@pytest.fixture
def key_file(settings):
    """Data keys from the test's own data folder, whatever the settings say, so that
    `gaokao privacy new-key` may add one (key rotation tests). Written here: with a
    database server none would be generated."""
    settings.DATA_KEYS = settings.INDEX_KEY = settings.OLD_INDEX_KEY = None
    path = keys.keys_file()
    generated = keys.Keys(data=((keys.new_key_id(), keys.new_key()),), index=keys.new_key())
    keys.write_keys_file(path, generated)
    return path


@pytest.fixture
def english():
    """Messages are asserted in their source language, whatever the catalog holds and
    whatever language an earlier test (a management command runs in Chinese) left active
    in this thread."""
    with translation.override("en"):
        yield


@pytest.fixture
def postgresql_only():
    """Concurrency tests need a database that lets writers race (set DATABASE_URL)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (DATABASE_URL=postgres://...): SQLite serialises all writers, "
            "so concurrent writes cannot race there"
        )


# ── the registration season ────────────────────────────────────────────────────────────


@pytest.fixture
def codes(db):
    """The Hunan 2020 code tables (without its regions, which the factories build)."""
    load_codes(Path(PRESETS_DIR) / "hunan-2020" / "codes.csv", LoadReport())


@pytest.fixture
def now() -> dt.datetime:
    """The moment `clock` travels to; override it to run a directory's tests elsewhere."""
    return NOW


@pytest.fixture
def ticking() -> bool:
    """Whether time moves on from `now` during the test; override it with False to stop
    the clock (timestamps then compare equal)."""
    return True


@pytest.fixture
def clock(now, ticking):
    """The test at `now` (see time_machine's traveller: `clock.shift(...)`)."""
    with time_machine.travel(now, tick=ticking) as traveller:
        yield traveller


@pytest.fixture
def windows() -> list[tuple[str, dt.date, dt.date]]:
    """The windows (kind, first day, last day) of `season`; override it to open others,
    e.g. with EVERY_WINDOW."""
    return [(PhaseKind.MAIN, MAIN_OPENS, MAIN_CLOSES)]


@pytest.fixture
def season(county, codes, windows):
    """The current season of the county's province with its `windows`."""
    season = SeasonFactory(province=county.parent.parent)
    for kind, opens, closes in windows:
        add_phase(season, kind, opens=opens, closes=closes)
    return season


@pytest.fixture
def number_range(season, point):
    """The point's numbers 1 to 100 for track 5 (理工), none issued yet."""
    track = Code.objects.get(table=Table.SUBJECT_TRACK, code="5")
    return NumberRange.objects.create(
        season=season, point=point, subject_track=track, first=1, last=100, next_serial=1
    )


# ── candidates ─────────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="session")
def photo() -> bytes:
    """A portrait as the point's camera takes it (JPEG, 480×640)."""
    return images.encode(images.portrait(480, 640), quality=90)


@pytest.fixture
def complete(season, point, point_user, photo):
    """complete(track="5", **fields): a candidate of `season` at `point` with everything
    the point needs before submitting (data, point checks, photo, proofreading)."""
    # Imported here: loading the plugin then needs only the models the factories need.
    from gaokao.photos.models import PhotoSource
    from gaokao.photos.services import add_photo
    from gaokao.proofreading.models import Confirmation, Method
    from gaokao.testing.steps import point_checks_done

    def make(track: str = "5", **kw):
        candidate = CandidateFactory(
            season=season,
            point=point,
            subject_track=track,
            data_saved_at=timezone.now(),
            candidate_category="1",
            household_type="1",
            graduation_type="1",
            mobile="13812345678",
            **kw,
        )
        candidate = point_checks_done(candidate, point_user)
        add_photo(candidate, photo, source=PhotoSource.UPLOAD, by=point_user)
        Confirmation.objects.create(
            candidate=candidate,
            method=Method.SIGNATURE,
            version=candidate.version,
            recorded_by=point_user,
            recorded_at=timezone.now(),
        )
        return candidate

    return make


# ── the point client ───────────────────────────────────────────────────────────────────


@pytest.fixture
def token() -> str:
    """The enrolled point client's token."""
    # Imported here: a test that needs no point client does not load the sync app.
    from gaokao.testing.sync import TOKEN

    return TOKEN


@pytest.fixture
def device_key() -> Ed25519PrivateKey:
    """The enrolled point client's signing key (bundles are signed with it)."""
    return Ed25519PrivateKey.generate()


@pytest.fixture
def device(point, point_user, token, device_key):
    """The point's client, enrolled by the point user."""
    from gaokao.testing.sync import make_device

    return make_device(point, point_user, token=token, key=device_key)
