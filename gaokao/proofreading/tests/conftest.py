import pytest

from gaokao.candidates.models import Candidate, EligibilityPath, IdentitySource, ReviewState
from gaokao.photos.models import PhotoSource
from gaokao.photos.services import add_photo
from gaokao.photos.tests import images
from gaokao.testing.factories import CandidateFactory, SeasonFactory
from gaokao.testing.steps import point_checks_done


@pytest.fixture
def season(db):
    return SeasonFactory()


@pytest.fixture
def candidate(codes, season, point):
    """Read from the ID card at the point: no check by hand needed."""
    return CandidateFactory(season=season, point=point)


@pytest.fixture
def keyed_in(codes, season, point):
    """Keyed in by hand from another identity document (O2), approved by the city, not
    verified with a card: the case a check by hand is for (without a card, O3, it is not
    enough: gaokao/candidates/tests/test_issue21_o3_no_card.py)."""
    return CandidateFactory(
        season=season,
        point=point,
        identity_source=IdentitySource.MANUAL,
        identity_verified_at=None,
        eligibility_path=EligibilityPath.OTHER_DOCUMENT,
        review_state=ReviewState.APPROVED,
    )


def change(candidate, by):
    """A change to the candidate's record through the point-check service, which moves
    the version on like every service that writes a candidate."""
    return point_checks_done(candidate, by)


def new_photo(candidate, by):
    """A new current photo taken at the point now (it does not move the version)."""
    fresh = Candidate.objects.get(pk=candidate.pk)
    return add_photo(fresh, images.encode(images.portrait()), source=PhotoSource.CAMERA, by=by)
