"""S9 submission upward, R2.3/R2.4 deadlines: completeness, locking, returning, accepting."""

import pytest
import time_machine
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates import change_path
from gaokao.candidates.errors import Locked
from gaokao.candidates.models import Candidate, Stage
from gaokao.candidates.services import record_point_checks
from gaokao.photos.models import PhotoSource
from gaokao.photos.services import PhotoRefused, add_photo
from gaokao.submission import services
from gaokao.submission.models import Move
from gaokao.submission.tests.conftest import comment
from gaokao.testing.factories import CandidateFactory, aware

pytestmark = pytest.mark.django_db

IN_TIME = aware(2019, 11, 5, 10, 0)


@pytest.fixture
def now():
    return IN_TIME


@pytest.fixture
def ticking():
    return False


def stage_of(candidate) -> str:
    return Candidate.objects.get(pk=candidate.pk).stage


def up(user, *candidates, at=None):
    return services.submit(user, [c.pk for c in candidates], at=at)


def test_s9_a_complete_candidate_goes_up_level_by_level_to_acceptance(
    complete, point_user, county_user, city_user, province_user, clock
):
    candidate = complete()
    assert services.problems(candidate, "point") == []
    assert up(point_user, candidate).moved == [candidate]
    assert stage_of(candidate) == Stage.COUNTY
    comment(candidate, county_user)
    for user, stage in (
        (county_user, Stage.CITY),
        (city_user, Stage.PROVINCE),
        (province_user, Stage.ACCEPTED),
    ):
        outcome = up(user, candidate)
        assert outcome.refused == {} and stage_of(candidate) == stage
    kinds = list(Move.objects.order_by("at", "id").values_list("kind", flat=True))
    assert kinds == ["submit", "submit", "submit", "accept"]
    assert AuditEvent.objects.filter(action=Action.SUBMITTED).count() == 3
    assert AuditEvent.objects.filter(action=Action.ACCEPTED).count() == 1


@pytest.mark.parametrize(
    ("spoil", "problem"),
    [
        (lambda c: c.proofreading.delete(), "not proofread and signed"),
        (lambda c: c.photos.update(is_current=False), "no photo"),
        (lambda c: Candidate.objects.filter(pk=c.pk).update(mobile=""), "data"),
        (lambda c: Candidate.objects.filter(pk=c.pk).update(fee_fen=None), "fee"),
        (lambda c: Candidate.objects.filter(pk=c.pk).update(review_state="pending"), "identity"),
        # The data changed after the candidate signed: the signed sheet is outdated.
        (lambda c: Candidate.objects.filter(pk=c.pk).update(version=c.version + 1), "proofread"),
    ],
)
def test_s9_an_incomplete_candidate_stays_with_the_reason_listed(
    complete, point_user, clock, spoil, problem
):
    candidate = complete()
    spoil(candidate)
    outcome = up(point_user, candidate)
    assert outcome.moved == []
    [reasons] = outcome.refused.values()
    assert any(problem in r or _zh(problem) in r for r in reasons), reasons
    assert stage_of(candidate) == Stage.POINT


def _zh(problem: str) -> str:
    return {
        "not proofread and signed": "校对",
        "no photo": "相片",
        "data": "信息",
        "fee": "缴费",
        "identity": "身份",
        "proofread": "校对",
    }[problem]


def test_s8_the_county_needs_the_comment_before_it_submits(
    complete, point_user, county_user, clock
):
    candidate = complete()
    up(point_user, candidate)
    assert up(county_user, candidate).moved == []
    comment(candidate, county_user)
    assert up(county_user, candidate).moved == [candidate]


def test_s9_submitted_records_are_locked_below(complete, point_user, photo, clock):
    candidate = complete()
    up(point_user, candidate)
    candidate.refresh_from_db()
    with pytest.raises(Locked) as refused:
        record_point_checks(
            candidate,
            version=candidate.version,
            documents_received=True,
            fee_fen=0,
            fee_receipt="R2",
            eligibility="eligible",
            note="",
            by=point_user,
        )
    assert refused.value.code == "locked"
    with pytest.raises(PhotoRefused):
        add_photo(candidate, photo, source=PhotoSource.UPLOAD, by=point_user)
    assert not change_path.may_change_data(candidate)
    assert Candidate.objects.get(pk=candidate.pk).fee_fen == 12000


def test_s9_a_return_with_a_reason_unlocks_the_record_below(
    complete, point_user, county_user, clock
):
    candidate = complete()
    up(point_user, candidate)
    with pytest.raises(ValueError):
        services.return_down(county_user, [candidate.pk], reason="  ")
    outcome = services.return_down(county_user, [candidate.pk], reason="相片不清晰，请重拍")
    assert outcome.moved == [candidate] and stage_of(candidate) == Stage.POINT
    assert services.last_return(candidate).reason == "相片不清晰，请重拍"
    assert change_path.may_change_data(Candidate.objects.get(pk=candidate.pk))
    assert AuditEvent.objects.get(action=Action.RETURNED).detail["reason"] == "相片不清晰，请重拍"


def test_s9_a_level_acts_only_on_what_it_holds(complete, point_user, county_user, city_user, clock):
    candidate = complete()
    assert up(county_user, candidate).moved == []  # still at the point
    assert services.return_down(city_user, [candidate.pk], reason="x").moved == []
    up(point_user, candidate)
    assert up(point_user, candidate).moved == []  # a double click: nothing more happens
    assert Move.objects.count() == 1


def test_s9_another_countys_staff_cannot_move_these_candidates(
    complete, point_user, other_county_user, clock
):
    candidate = complete()
    up(point_user, candidate)
    comment(candidate, point_user)
    assert up(other_county_user, candidate).moved == []
    assert services.return_down(other_county_user, [candidate.pk], reason="x").moved == []
    assert stage_of(candidate) == Stage.COUNTY


@pytest.mark.parametrize(
    ("track", "last_day", "next_day"),
    [
        ("3", aware(2019, 11, 20, 23, 59, 59), aware(2019, 11, 21, 0, 0)),  # art: R2.3
        ("5", aware(2019, 12, 10, 23, 59, 59), aware(2019, 12, 11, 0, 0)),  # others: R2.4
    ],
)
def test_r2_3_r2_4_the_city_submits_by_its_deadline(
    complete, point_user, county_user, city_user, track, last_day, next_day
):
    with time_machine.travel(IN_TIME, tick=False):
        on_time, late = complete(track), complete(track)
        up(point_user, on_time, late)
        comment(on_time, county_user)
        comment(late, county_user)
        up(county_user, on_time, late)
    assert up(city_user, on_time, at=last_day).moved == [on_time]
    outcome = up(city_user, late, at=next_day)
    assert outcome.moved == [] and stage_of(late) == Stage.CITY
    assert any("截止" in r or "deadline" in r for r in outcome.refused[late.registration_number])


def test_r2_5_youth_candidates_follow_their_own_window(complete, point_user):
    with time_machine.travel(IN_TIME, tick=False):
        youth = complete("6")
    assert up(point_user, youth, at=aware(2019, 12, 10, 12)).moved == []  # not R2.4's
    assert up(point_user, youth, at=aware(2020, 1, 15, 12)).moved == [youth]


def test_s9_a_stale_edit_racing_a_submission_has_one_clean_winner(complete, point_user, clock):
    candidate = complete()
    form_version = candidate.version  # the point opened the checks form
    up(point_user, candidate)  # …and the submission got there first
    with pytest.raises(Locked):
        record_point_checks(
            candidate,
            version=form_version,
            documents_received=True,
            fee_fen=1,
            fee_receipt="late",
            eligibility="eligible",
            note="",
            by=point_user,
        )
    assert Candidate.objects.get(pk=candidate.pk).fee_fen == 12000  # nothing half-applied


# ── the page ──────────────────────────────────────────────────────────────────────────


def test_s9_the_page_lists_what_is_held_with_reasons_and_submits(
    client, complete, point_user, season, point, clock
):
    ready = complete()
    not_ready = CandidateFactory(season=season, point=point)
    client.force_login(point_user)
    page = client.get(reverse("submission:index"))
    rows = {r["c"].pk: r["problems"] for r in page.context["rows"]}
    assert rows[ready.pk] == [] and rows[not_ready.pk]
    response = client.post(reverse("submission:submit"), {"all_held": "1"})
    assert response.url == reverse("submission:index")
    assert stage_of(ready) == Stage.COUNTY and stage_of(not_ready) == Stage.POINT


def test_s9_points_cannot_return_and_other_regions_see_nothing(
    client, complete, point_user, other_county_user, clock
):
    candidate = complete()
    client.force_login(point_user)
    assert client.post(reverse("submission:return"), {"c": candidate.pk}).status_code == 403
    up(point_user, candidate)
    client.force_login(other_county_user)
    assert client.get(reverse("submission:index")).context["rows"] == []
    client.post(reverse("submission:submit"), {"c": candidate.pk})
    assert stage_of(candidate) == Stage.COUNTY


@pytest.mark.django_db(transaction=True)
def test_s9_a_submission_and_an_edit_at_the_same_moment_leave_one_clean_story(
    postgresql_only, complete, point_user
):
    """On PostgreSQL, with threads: whichever takes the candidate's row first wins and the
    other sees its result — the edit is refused as locked, or the edit goes in and the
    submission is refused because the signed sheet no longer matches the data."""
    from gaokao.testing.concurrency import run_together

    with time_machine.travel(IN_TIME, tick=True):
        candidate = complete()

        def work(i):
            if i == 0:
                return up(point_user, candidate)
            return record_point_checks(
                candidate,
                version=candidate.version,
                documents_received=True,
                fee_fen=13000,
                fee_receipt="R2",
                eligibility="eligible",
                note="",
                by=point_user,
            )

        submitted, edited = run_together(2, work)
    final = Candidate.objects.get(pk=candidate.pk)
    if isinstance(edited, Locked):  # the submission first: the edit is refused
        assert edited.code == "locked"
        assert (final.stage, final.fee_fen, len(submitted.moved)) == (Stage.COUNTY, 12000, 1)
    else:  # the edit first: it stands, and the outdated signature stops the submission
        assert (final.stage, final.fee_fen, submitted.moved) == (Stage.POINT, 13000, [])
        [why] = submitted.refused.values()
        assert any("校对" in r or "proofread" in r for r in why)
