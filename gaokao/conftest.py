"""Shared fixtures. Every view test uses three staff users in the manner of healthchecks'
Alice, Bob and Charlie: a county user, a point user of that county, and a user of
*another* county who must see nothing of the first."""

from pathlib import Path

import pytest

from gaokao.presets.services import PRESETS_DIR, LoadReport, load_codes
from gaokao.privacy import keys
from gaokao.testing.factories import CountyFactory, PointFactory, staff_for


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
def key_file(settings, monkeypatch):
    """Data keys from the test's own data folder, whatever the machine's environment and
    settings say, so that `gaokao privacy new-key` may add one (key rotation tests)."""
    for name in (keys.DATA_KEYS_VAR, keys.INDEX_KEY_VAR, keys.OLD_INDEX_KEY_VAR):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name + "_FILE", raising=False)
    settings.DATA_KEYS = settings.INDEX_KEY = settings.OLD_INDEX_KEY = None
    return keys.keys_file()


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


@pytest.fixture
def codes(db):
    """The Hunan 2020 code tables (without its regions, which the factories build)."""
    load_codes(Path(PRESETS_DIR) / "hunan-2020" / "codes.csv", LoadReport())


@pytest.fixture
def postgresql_only():
    """Concurrency tests need a database that lets writers race (set DATABASE_URL)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (DATABASE_URL=postgres://...): SQLite serialises all writers, "
            "so concurrent writes cannot race there"
        )
