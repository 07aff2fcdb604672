"""Intake at the point: cards read in batches (S3), the numbers they get (S2), duplicate
registrations, the windows (R2.1, R2.5), and the manual paths with their reviews (O1–O3)."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.hashers import check_password

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates import services
from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.models import Candidate, EligibilityPath, IdentitySource, ReviewState
from gaokao.candidates.services import IntakeRefused, ManualIdentity
from gaokao.candidates.tests.conftest import Card, card
from gaokao.testing.factories import CountyFactory, PointFactory, make_range, resident_id, staff_for

pytestmark = pytest.mark.django_db


def take(season, point, n, track="5", user=None):
    return services.take_in_from_card(season, point, track, card(n), by=user)


def manual(path, n=7, document_type="1", number=None):
    number = number or resident_id(2 * n)  # even sequence: female
    birth = (
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        if document_type == "1"
        else dt.date(2002, 5, 1)
    )
    return ManualIdentity(
        document_type=document_type,
        id_number=number,
        name=f"手工{n}",
        sex="2",
        ethnicity="15",
        birth_date=birth,
    )


def test_s3_each_card_read_creates_a_verified_candidate_with_the_next_number(
    season, point, ranges, point_user
):
    first = take(season, point, 1, user=point_user)
    second = take(season, point, 2, user=point_user)
    code = point.county.registration_code
    assert (first.registration_number, second.registration_number) == (f"{code}0001", f"{code}0002")
    assert first.identity_source == IdentitySource.READER and first.identity_verified_at
    assert first.review_state == ReviewState.NOT_REQUIRED
    assert bytes(first.card_photo) == b"\x57" * 1024
    assert first.number_range == ranges["5"]
    ranges["5"].refresh_from_db()
    assert ranges["5"].next_serial == 3
    assert AuditEvent.objects.filter(action=Action.CANDIDATE_TAKEN_IN, point=point).count() == 2


def test_s2_numbers_come_from_the_tracks_own_range(season, point, ranges):
    candidate = take(season, point, 1, track="1")
    assert candidate.registration_number == f"{point.county.registration_code}0101"


def test_s2_a_full_range_moves_on_to_the_points_next_range_then_refuses(season, point, ranges):
    ranges["5"].next_serial = 101  # all of 1–100 issued
    ranges["5"].save()
    second = make_range(season, point, "5", 201, 201)
    assert take(season, point, 1).number_range == second
    with pytest.raises(IntakeRefused, match=r"追加号段|add a number range"):
        take(season, point, 2)
    assert Candidate.objects.count() == 1


def test_s3_without_a_range_nothing_is_saved(season, point):
    with pytest.raises(IntakeRefused) as excinfo:
        take(season, point, 1)
    assert excinfo.value.code == "no_free_number"
    assert not Candidate.objects.exists()


def test_s3_the_same_person_is_refused_anywhere_in_the_province_with_where_they_are(
    season, point, ranges, county
):
    take(season, point, 1)
    other_point = PointFactory(county=CountyFactory(parent=county.parent))
    make_range(season, other_point, "5", 1, 50)
    with pytest.raises(IntakeRefused) as excinfo:
        take(season, other_point, 1)
    message = " ".join(excinfo.value.messages)
    assert (
        point.name in message
        and point.county.name in message
        and f"{point.county.registration_code}0001" in message
    )
    assert Candidate.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.DUPLICATE_REFUSED, point=other_point).exists()


def test_s3_a_refused_card_gives_no_number_away(season, point, ranges):
    take(season, point, 1)
    with pytest.raises(IntakeRefused):
        take(season, point, 1)
    assert take(season, point, 2).registration_number.endswith("0002")


def test_s3_a_card_whose_data_disagrees_with_its_number_is_refused(season, point, ranges):
    bad = Card(name="错误", id_number=resident_id(3), sex="2")
    with pytest.raises(IntakeRefused, match=r"性别|sex"):
        services.take_in_from_card(season, point, "5", bad, by=None)
    with pytest.raises(IntakeRefused):
        services.take_in_from_card(
            season, point, "5", Card(name="错", id_number="340524198001010013"), by=None
        )
    with pytest.raises(IntakeRefused):
        services.take_in_from_card(
            season, point, "5", Card(name="错", id_number=resident_id(3), ethnicity="99"), by=None
        )


def test_r2_1_no_intake_after_the_main_window(season, point, ranges):
    with time_machine.travel(
        dt.datetime(2019, 11, 8, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    ):
        take(season, point, 1)
    with (
        time_machine.travel(
            dt.datetime(2019, 11, 9, 0, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        ),
        pytest.raises(IntakeRefused) as excinfo,
    ):
        take(season, point, 2)
    assert excinfo.value.code == "window_closed"


def test_r2_5_gaokao_youth_only_in_its_own_window(season, point, ranges):
    make_range(season, point, "6", 301, 320)  # 少年班
    with pytest.raises(IntakeRefused) as excinfo:
        take(season, point, 1, track="6")
    assert excinfo.value.code == "window_closed"
    with time_machine.travel(
        dt.datetime(2020, 1, 14, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    ):
        youth = take(season, point, 1, track="6")
        with pytest.raises(IntakeRefused):
            take(season, point, 2, track="5")  # the main window is closed by then
    assert youth.registration_number.endswith("0301")


# ── manual paths and reviews ───────────────────────────────────────────────────────────


def test_o1_migrant_child_waits_for_the_countys_approval(
    season, point, ranges, county_user, point_user
):
    candidate = services.take_in_manually(
        season, point, "5", EligibilityPath.MIGRANT, manual("migrant"), by=point_user
    )
    assert candidate.review_state == ReviewState.PENDING
    assert (
        candidate.identity_source == IdentitySource.MANUAL
        and candidate.identity_verified_at is None
    )
    assert candidate.registration_number
    with pytest.raises(IntakeRefused):
        services.review(candidate, approve=True, reason="", by=point_user)
    with pytest.raises(IntakeRefused):  # the city does not review migrant children
        services.review(candidate, approve=True, reason="", by=staff_for(point.county.parent))
    approved = services.review(candidate, approve=True, reason="材料齐全", by=county_user)
    assert approved.review_state == ReviewState.APPROVED and approved.reviewed_by == county_user
    assert approved.version == candidate.version + 1


def test_o1_another_county_cannot_review(season, point, ranges, other_county_user, point_user):
    candidate = services.take_in_manually(
        season, point, "5", EligibilityPath.MIGRANT, manual("migrant"), by=point_user
    )
    with pytest.raises(IntakeRefused):
        services.review(candidate, approve=True, reason="", by=other_county_user)
    candidate.refresh_from_db()
    assert candidate.review_state == ReviewState.PENDING


def test_o1_rejection_needs_a_reason(season, point, ranges, county_user):
    candidate = services.take_in_manually(
        season, point, "5", EligibilityPath.MIGRANT, manual("migrant"), by=None
    )
    with pytest.raises(IntakeRefused) as excinfo:
        services.review(candidate, approve=False, reason="  ", by=county_user)
    assert excinfo.value.code == "reason"
    rejected = services.review(candidate, approve=False, reason="缺少居住证明", by=county_user)
    assert (
        rejected.review_state == ReviewState.REJECTED and rejected.review_reason == "缺少居住证明"
    )
    with pytest.raises(IntakeRefused):  # decided once
        services.review(rejected, approve=True, reason="", by=county_user)


def test_o2_other_documents_are_reviewed_by_the_city(season, point, ranges, county_user):
    passport = manual("other", n=9, document_type="A", number="E12345678")
    candidate = services.take_in_manually(
        season, point, "5", EligibilityPath.OTHER_DOCUMENT, passport, by=None
    )
    assert candidate.id_number == "E12345678"
    with pytest.raises(IntakeRefused):
        services.review(candidate, approve=True, reason="", by=county_user)
    city_user = staff_for(point.county.parent)
    assert (
        services.review(candidate, approve=True, reason="", by=city_user).review_state
        == ReviewState.APPROVED
    )


def test_o3_no_card_is_reviewed_by_the_city_and_verified_with_the_new_card(
    season, point, ranges, point_user
):
    identity = manual("nocard", n=11)
    candidate = services.take_in_manually(
        season, point, "5", EligibilityPath.NO_CARD, identity, by=point_user
    )
    services.review(candidate, approve=True, reason="", by=staff_for(point.county.parent))
    someone_else = Card(name="别人", id_number=resident_id(99), sex="1")
    with pytest.raises(IntakeRefused) as excinfo:
        services.verify_with_card(candidate, someone_else, by=point_user)
    assert excinfo.value.code == "card_mismatch"
    new_card = Card(name=identity.name, id_number=identity.id_number, sex="2", ethnicity="15")
    verified = services.verify_with_card(candidate, new_card, by=point_user)
    assert verified.identity_source == IdentitySource.READER and verified.identity_verified_at
    assert AuditEvent.objects.filter(action=Action.IDENTITY_VERIFIED).exists()


def test_o1_readable_cards_do_not_take_the_manual_path(season, point, ranges):
    with pytest.raises(IntakeRefused):
        services.take_in_manually(season, point, "5", EligibilityPath.NORMAL, manual("x"), by=None)


# ── point checks and login cards ───────────────────────────────────────────────────────


def checks(candidate, user, **overrides):
    data = {
        "version": candidate.version,
        "documents_received": True,
        "fee_fen": 12000,
        "fee_receipt": "HN2019-0001",
        "eligibility": "eligible",
        "note": "",
    } | overrides
    return services.record_point_checks(candidate, by=user, **data)


def test_s5_documents_fee_and_eligibility_are_recorded_and_audited(
    season, point, ranges, point_user
):
    candidate = checks(take(season, point, 1), point_user)
    assert candidate.point_checks_done and candidate.fee_fen == 12000
    event = AuditEvent.objects.get(action=Action.POINT_CHECKS_RECORDED)
    assert event.detail["after"]["fee_fen"] == 12000 and event.detail["before"]["fee_fen"] is None


def test_s5_a_stale_form_is_refused_and_changes_nothing(season, point, ranges, point_user):
    candidate = take(season, point, 1)
    checks(candidate, point_user)  # someone else saved first
    with pytest.raises(CandidateRefused) as excinfo:  # the change path's refusal (issue 19)
        checks(candidate, point_user, fee_fen=1)
    assert excinfo.value.code == "stale"
    candidate.refresh_from_db()
    assert candidate.fee_fen == 12000


@pytest.mark.parametrize(
    ("overrides", "code"),
    [({"fee_receipt": " "}, "receipt"), ({"eligibility": "ineligible", "note": ""}, "note")],
)
def test_s5_incomplete_checks_are_refused(season, point, ranges, point_user, overrides, code):
    with pytest.raises(IntakeRefused) as excinfo:
        checks(take(season, point, 1), point_user, **overrides)
    assert excinfo.value.code == code


def test_s4_login_card_only_after_review_and_point_checks(
    season, point, ranges, point_user, county_user
):
    candidate = services.take_in_manually(
        season, point, "5", EligibilityPath.MIGRANT, manual("m"), by=point_user
    )
    candidate = checks(candidate, point_user)
    with pytest.raises(IntakeRefused, match=r"审核|review"):
        services.issue_login_cards([candidate], by=point_user)
    services.review(candidate, approve=True, reason="", by=county_user)
    [issued] = services.issue_login_cards([candidate], by=point_user)
    assert len(issued.password) == 12


def test_s4_initial_password_is_stored_only_as_a_hash_and_a_reprint_replaces_it(
    season, point, ranges, point_user
):
    candidate = checks(take(season, point, 1), point_user)
    [first] = services.issue_login_cards([candidate], by=point_user)
    candidate.refresh_from_db()
    assert first.password not in candidate.portal_password
    assert check_password(first.password, candidate.portal_password)
    [second] = services.issue_login_cards([candidate], by=point_user)
    candidate.refresh_from_db()
    assert not check_password(first.password, candidate.portal_password)
    assert check_password(second.password, candidate.portal_password)
    assert candidate.credentials_issued_count == 2
    assert AuditEvent.objects.filter(action=Action.LOGIN_CARDS_ISSUED).count() == 2


def test_s4_a_batch_with_one_unready_candidate_issues_nothing(season, point, ranges, point_user):
    ready = checks(take(season, point, 1), point_user)
    unready = take(season, point, 2)
    with pytest.raises(IntakeRefused):
        services.issue_login_cards([ready, unready], by=point_user)
    ready.refresh_from_db()
    assert ready.portal_password == "" and ready.credentials_issued_count == 0
