"""The status page's history finds the candidate's events by the candidate's key, not by
the name the event showed at the time (issue 10 §3)."""

import pytest

from gaokao.audit.models import Action, AuditEvent
from gaokao.audit.services import record
from gaokao.candidates.history import history
from gaokao.testing.factories import CandidateFactory, SeasonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def season(point):
    return SeasonFactory(province=point.county.parent.parent, is_current=True)


def whats(candidate):
    return [row["what"] for row in history(candidate)]


def test_e3_history_follows_a_renamed_candidate(season, point, point_user):
    candidate = CandidateFactory(season=season, point=point, registration_number=None, name="张三")
    record(Action.CANDIDATE_TAKEN_IN, actor=point_user, unit=point, target=candidate)
    candidate.registration_number = f"{point.county.registration_code}0999"
    candidate.name = "张叁"
    candidate.save()
    record(Action.POINT_CHECKS_RECORDED, actor=point_user, unit=point, target=candidate)
    assert whats(candidate) == [
        Action.POINT_CHECKS_RECORDED.label,
        Action.CANDIDATE_TAKEN_IN.label,
    ]


def test_e3_history_keeps_namesakes_apart(season, point, point_user):
    one = CandidateFactory(season=season, point=point, registration_number=None, name="李四")
    two = CandidateFactory(season=season, point=point, registration_number=None, name="李四")
    assert str(one) == str(two)
    record(Action.CANDIDATE_TAKEN_IN, actor=point_user, unit=point, target=one)
    record(Action.PHOTO_ADDED, actor=point_user, unit=point, target=two)
    assert whats(one) == [Action.CANDIDATE_TAKEN_IN.label]
    assert whats(two) == [Action.PHOTO_ADDED.label]


def test_e3_history_still_shows_events_from_before_the_key_was_kept(season, point, point_user):
    candidate = CandidateFactory(season=season, point=point)
    old = record(Action.CANDIDATE_TAKEN_IN, actor=point_user, unit=point, target=candidate)
    AuditEvent.objects.filter(pk=old.pk).update(target_type="", target_id="")
    elsewhere = CandidateFactory(season=season, point__county=point.county)
    stray = record(
        Action.PHOTO_ADDED, actor=point_user, unit=elsewhere.point, target=str(candidate)
    )
    AuditEvent.objects.filter(pk=stray.pk).update(target_type="", target_id="")
    assert whats(candidate) == [Action.CANDIDATE_TAKEN_IN.label]
