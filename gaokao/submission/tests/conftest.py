import datetime as dt

import pytest
from django.utils import timezone

from gaokao.comments.models import Comment
from gaokao.photos.models import PhotoSource
from gaokao.photos.services import add_photo
from gaokao.photos.tests import images
from gaokao.proofreading.models import Confirmation, Method
from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import CandidateFactory, SeasonFactory, add_phase
from gaokao.testing.steps import point_checks_done


@pytest.fixture(scope="session")
def photo() -> bytes:
    return images.encode(images.portrait(480, 640), quality=90)


@pytest.fixture
def season(point, codes):
    season = SeasonFactory(province=point.county.parent.parent)
    for kind, closes in (
        (PhaseKind.MAIN, dt.date(2019, 11, 8)),
        (PhaseKind.CITY_ART, dt.date(2019, 11, 20)),
        (PhaseKind.CITY_ALL, dt.date(2019, 12, 10)),
    ):
        add_phase(season, kind, opens=dt.date(2019, 10, 28), closes=closes)
    add_phase(season, PhaseKind.YOUTH, opens=dt.date(2020, 1, 13), closes=dt.date(2020, 1, 16))
    return season


@pytest.fixture
def complete(season, point, point_user, photo):
    """make(track="5"): a candidate with everything a point needs before submitting."""

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


def comment(candidate, by) -> None:
    Comment.objects.create(candidate=candidate, text="遵纪守法，品德良好。", written_by=by)
