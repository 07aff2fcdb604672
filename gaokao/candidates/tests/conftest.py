"""A county with an open main window, a point with ranges for two tracks, and cards."""

import datetime as dt
from dataclasses import dataclass

import pytest

from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import make_range, resident_id

TODAY = dt.date(2019, 11, 1)


@dataclass(frozen=True)
class Card:
    """What the reader hands over (the shape of gaokao.idcard's CardIdentity)."""

    name: str
    id_number: str
    sex: str = "1"
    ethnicity: str = "01"
    document_type: str = "1"
    issuing_authority: str = "长沙市公安局芙蓉分局"
    valid_from: dt.date | None = dt.date(2018, 1, 1)
    valid_until: dt.date | None = dt.date(2028, 1, 1)
    photo_wlt: bytes = b"\x57" * 1024

    @property
    def birth_date(self) -> dt.date:
        n = self.id_number
        return dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))


def card(n: int, name: str = "") -> Card:
    number = resident_id(2 * n + 1)  # odd sequence: male
    return Card(name=name or f"考生{n}", id_number=number)


@pytest.fixture
def now():
    return dt.datetime.combine(TODAY, dt.time(10, 0), dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def at_now(clock):
    """Every test here runs on TODAY, inside the main window."""


@pytest.fixture
def windows():
    return [
        (PhaseKind.MAIN, dt.date(2019, 10, 28), dt.date(2019, 11, 8)),
        (PhaseKind.YOUTH, dt.date(2020, 1, 13), dt.date(2020, 1, 16)),
    ]


@pytest.fixture
def ranges(season, point):
    return {
        "5": make_range(season, point, "5", 1, 100),  # 理工
        "1": make_range(season, point, "1", 101, 200),  # 文史
    }
