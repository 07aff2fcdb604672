"""S5 and issue 19: the registration fee at intake comes from the province's fee table (per
season and subject track, in fen). The province edits it on the office web's 报名费 page,
audited as a diff with a reason; other levels are refused; the point records the
configured fee as paid and cannot record another amount."""

import pytest
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates import services
from gaokao.candidates.errors import IntakeRefused
from gaokao.codes.fees import FeesRefused, expected_fee, save_fees
from gaokao.codes.models import RegistrationFee
from gaokao.demo.services import DEMO_REGISTRATION_FEE, ensure_season
from gaokao.presets.services import PRESETS_DIR, LoadReport, load_season
from gaokao.testing.factories import CandidateFactory, ProvinceFactory, staff_for

pytestmark = pytest.mark.django_db

PAGE = reverse("seasons:fees")
REASON = "省教育考试院 2019 年第 12 号通知"


@pytest.fixture
def province_user(county):
    return staff_for(county.parent.parent)


@pytest.fixture
def candidate(season, point, clock):
    return CandidateFactory(season=season, point=point, subject_track="5")


def page_data(form_values: dict, reason: str = REASON) -> dict:
    return {**{f"track_{k}": v for k, v in form_values.items()}, "reason": reason}


# ── the table and its service ──────────────────────────────────────────────────────────


def test_s5_expected_fee_is_the_tracks_fee_in_the_candidates_season(season, candidate):
    assert expected_fee(candidate) is None  # nothing configured yet
    RegistrationFee.objects.create(season=season, subject_track="5", fee_fen=12000)
    RegistrationFee.objects.create(season=season, subject_track="1", fee_fen=9000)
    assert expected_fee(candidate) == 12000


def test_s5_saving_fees_records_the_diff_and_the_reason(season, province_user):
    RegistrationFee.objects.create(season=season, subject_track="1", fee_fen=9000)
    diff = save_fees(season, {"1": 10000, "5": 12000}, reason=REASON, by=province_user)
    assert diff == {"1": [9000, 10000], "5": [None, 12000]}
    (event,) = AuditEvent.objects.filter(action=Action.FEES_SAVED)
    assert event.actor == province_user
    assert event.detail["changes"] == {"1": [9000, 10000], "5": [None, 12000]}
    assert event.detail["reason"] == REASON
    assert save_fees(season, {"1": 10000}, reason=REASON, by=province_user) == {}
    assert AuditEvent.objects.filter(action=Action.FEES_SAVED).count() == 1  # no change


def test_s5_saving_fees_without_a_reason_is_refused(season, province_user):
    with pytest.raises(FeesRefused):
        save_fees(season, {"5": 12000}, reason="  ", by=province_user)
    assert not RegistrationFee.objects.exists()


# ── the office web's page ──────────────────────────────────────────────────────────────


def test_s5_province_sets_the_fees_on_its_page_audited(client, season, province_user):
    client.force_login(province_user)
    shown = client.get(PAGE)
    assert shown.status_code == 200
    assert 'name="track_5"' in shown.text
    answer = client.post(PAGE, page_data({"5": "120.00", "1": "95.50"}))
    assert answer.status_code == 302
    fees = dict(RegistrationFee.objects.values_list("subject_track", "fee_fen"))
    assert fees == {"5": 12000, "1": 9550}
    (event,) = AuditEvent.objects.filter(action=Action.FEES_SAVED)
    assert event.detail["changes"] == {"1": [None, 9550], "5": [None, 12000]}
    assert event.detail["reason"] == REASON
    assert event.actor == province_user
    # clearing a track's amount removes its fee, audited too
    client.post(PAGE, page_data({"5": "120.00", "1": ""}))
    assert dict(RegistrationFee.objects.values_list("subject_track", "fee_fen")) == {"5": 12000}
    assert AuditEvent.objects.filter(action=Action.FEES_SAVED).count() == 2


def test_s5_fees_page_without_a_reason_changes_nothing(client, season, province_user):
    client.force_login(province_user)
    answer = client.post(PAGE, page_data({"5": "120.00"}, reason=""))
    assert answer.status_code == 200
    assert answer.context["form"].errors["reason"]
    assert 'value="120.00"' in answer.text  # what was typed is kept
    assert not RegistrationFee.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.FEES_SAVED).exists()


def test_s5_other_levels_are_refused_the_fees_page(
    client, season, county, point, city_user, county_user, point_user
):
    for user in (city_user, county_user, point_user):
        client.force_login(user)
        assert client.get(PAGE).status_code == 403, user.role
        assert client.post(PAGE, page_data({"5": "1.00"})).status_code == 403, user.role
    assert not RegistrationFee.objects.exists()


def test_s5_another_provinces_staff_see_no_season_on_the_fees_page(client, season):
    other = staff_for(ProvinceFactory(code="440000", name="广东省"))
    client.force_login(other)
    answer = client.post(PAGE, page_data({"5": "1.00"}))
    assert answer.status_code == 200 and answer.context["season"] is None
    assert not RegistrationFee.objects.exists()


# ── the point's checks ─────────────────────────────────────────────────────────────────


def checks(candidate, by, fee_fen):
    return services.record_point_checks(
        candidate,
        version=candidate.version,
        documents_received=True,
        fee_fen=fee_fen,
        fee_receipt="R-1",
        eligibility="eligible",
        note="",
        by=by,
    )


def test_s5_point_checks_refuse_an_amount_other_than_the_configured_fee(
    season, candidate, point_user
):
    RegistrationFee.objects.create(season=season, subject_track="5", fee_fen=12000)
    with pytest.raises(IntakeRefused) as refused:
        checks(candidate, point_user, 10000)
    assert "120.00" in str(refused.value) and "100.00" in str(refused.value)
    candidate.refresh_from_db()
    assert candidate.fee_fen is None
    assert checks(candidate, point_user, 12000).fee_fen == 12000


def test_s5_point_checks_form_shows_the_configured_fee_and_takes_no_amount(
    client, season, candidate, point_user
):
    RegistrationFee.objects.create(season=season, subject_track="5", fee_fen=12000)
    client.force_login(point_user)
    detail = client.get(reverse("candidates:detail", args=[candidate.pk]))
    assert "120.00" in detail.text
    url = reverse("candidates:checks", args=[candidate.pk])
    form = {
        "version": candidate.version,
        "documents_received": "on",
        "fee_receipt": "R-1",
        "eligibility": "eligible",
    }
    typed = client.post(url, form | {"fee_yuan": "80.00"})
    assert typed.status_code == 200  # not a choice: the form again
    candidate.refresh_from_db()
    assert candidate.fee_fen is None
    assert client.post(url, form | {"fee_yuan": "paid"}).status_code == 302
    candidate.refresh_from_db()
    assert candidate.fee_fen == 12000


def test_s5_without_a_configured_fee_the_point_cannot_record_one(
    client, season, candidate, point_user
):
    client.force_login(point_user)
    url = reverse("candidates:checks", args=[candidate.pk])
    form = {"version": candidate.version, "fee_receipt": "R-1", "eligibility": "eligible"}
    assert client.post(url, form | {"fee_yuan": "paid"}).status_code == 200
    candidate.refresh_from_db()
    assert candidate.fee_fen is None


# ── seeds ──────────────────────────────────────────────────────────────────────────────


def test_s5_hunan_preset_ships_no_fee_and_demo_seeds_one(county, codes):
    season = load_season(PRESETS_DIR / "hunan-2020" / "season.toml", LoadReport())
    # The 2020 registration fee is not stated in the repository's documents.
    assert not RegistrationFee.objects.filter(season=season).exists()
    demo = ensure_season(season.phases.first().starts_at.date())
    fees = set(RegistrationFee.objects.filter(season=demo).values_list("fee_fen", flat=True))
    assert fees == {DEMO_REGISTRATION_FEE}
