"""A city with two counties' worth of submitted candidates, and another city beside it.

`county` (with `point`) lies in one city; `other_county` (with `other_point`) in another
city of the same province, as the shared fixtures build them."""

import csv
import io

import pytest

from gaokao.candidates.models import Stage
from gaokao.photos.services import add_photo
from gaokao.photos.tests import images
from gaokao.testing.factories import CandidateFactory, SeasonFactory, staff_for


@pytest.fixture
def season(db):
    return SeasonFactory()


@pytest.fixture
def make(season, point):
    """make(stage, **fields): a candidate of `point` in the current season."""

    def build(stage=Stage.CITY, **fields):
        fields.setdefault("point", point)
        return CandidateFactory(season=season, stage=stage, **fields)

    return build


@pytest.fixture(scope="session")
def portrait_jpeg() -> bytes:
    return images.encode(images.portrait(600, 800), quality=90)


@pytest.fixture
def with_photo(portrait_jpeg):
    """with_photo(candidate[, jpeg]): give it a current photo through the photos service (which
    takes photos only at the point), then put it back at its stage."""

    def add(candidate, data: bytes = portrait_jpeg):
        stage = candidate.stage
        type(candidate).objects.filter(pk=candidate.pk).update(stage=Stage.POINT)
        candidate.stage = Stage.POINT
        user = staff_for(candidate.point)
        photo = add_photo(candidate, data, source="camera", by=user)
        type(candidate).objects.filter(pk=candidate.pk).update(stage=stage)
        candidate.stage = stage
        return photo

    return add


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
