"""Candidate portal journey (S6, O5) in a real browser: a candidate with an issued login card
signs in at /ks/, sets the confirmation password, enters data and saves it."""

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from gaokao.candidates import services
from gaokao.candidates.models import Candidate
from gaokao.codes.models import Code, Table
from gaokao.idcard.simulator import default_deck
from gaokao.seasons.models import Season

CONFIRM = "queren-mima-2020"


def issued_candidate(point_username: str) -> tuple[Candidate, str]:
    user = get_user_model().objects.get(username=point_username)
    season = Season.objects.get(is_current=True)
    card = default_deck()[0].identity
    candidate = services.take_in_from_card(season, user.point, "5", card, by=user)
    candidate = services.record_point_checks(
        candidate,
        version=candidate.version,
        documents_received=True,
        fee_fen=12000,
        fee_receipt="HN-0001",
        eligibility="eligible",
        note="",
        by=user,
    )
    [issued] = services.issue_login_cards([candidate], by=user)
    return issued.candidate, issued.password


def consistent_category() -> tuple[str, str]:
    """A candidate category and the household type it implies (or any, if none)."""
    for category in Code.objects.of(Table.CANDIDATE_CATEGORY):
        household = category.attrs.get("household_type")
        if household:
            return category.code, household
    category = Code.objects.of(Table.CANDIDATE_CATEGORY).first()
    return category.code, Code.objects.of(Table.HOUSEHOLD_TYPE).first().code


def test_s6_candidate_signs_in_sets_confirmation_password_and_saves_data(
    page, live_server, demo_accounts
):
    base = live_server.url
    candidate, password = issued_candidate("demo-furong-point")
    category, household = consistent_category()

    page.goto(f"{base}/ks/")
    page.locator("#id_registration_number").fill(candidate.registration_number)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()

    # O5: the confirmation password comes first.
    page.locator("#id_password").fill(CONFIRM)
    page.locator("#id_password2").fill(CONFIRM)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("status")).to_be_visible()

    page.get_by_test_id("data-link").click()
    page.locator("#id_mobile").fill("13800138000")
    page.locator("#id_candidate_category").select_option(category)
    page.locator("#id_household_type").select_option(household)
    page.locator("#id_confirmation_password").fill(CONFIRM)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".alert-success")).to_be_visible()

    candidate.refresh_from_db()
    assert candidate.mobile == "13800138000" and candidate.data_saved_at is not None
    assert (candidate.candidate_category, candidate.household_type) == (category, household)

    page.goto(f"{base}/ks/status/")
    expect(page.get_by_test_id("status")).to_contain_text("✓")
    expect(page.get_by_test_id("history")).to_be_visible()
