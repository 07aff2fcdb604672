import pytest

from gaokao.candidates.models import EligibilityPath, IdentitySource, ReviewState
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
    """Keyed in by hand without a card (O3), approved by the city, not verified with a card."""
    return CandidateFactory(
        season=season,
        point=point,
        identity_source=IdentitySource.MANUAL,
        identity_verified_at=None,
        eligibility_path=EligibilityPath.NO_CARD,
        review_state=ReviewState.APPROVED,
    )


def change(candidate, by):
    """A change to the candidate's record through the point-check service, which moves
    the version on like every service that writes a candidate."""
    return point_checks_done(candidate, by)
