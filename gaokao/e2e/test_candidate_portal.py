"""Candidate portal journey (S6, O5) in a real browser: a candidate with an issued login card
signs in at /ks/, sets the confirmation password, enters data and saves it."""

import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from gaokao.codes.models import Code, Table
from gaokao.e2e.journeys import CONFIRM, candidate_first_sign_in, issued_candidate
from gaokao.seasons.models import Phase, PhaseKind, day_end, day_start


def consistent_category() -> tuple[str, str]:
    """A candidate category and the household type it implies (or any, if none)."""
    for category in Code.objects.of(Table.CANDIDATE_CATEGORY):
        household = category.attrs.get("household_type")
        if household:
            return category.code, household
    category = Code.objects.of(Table.CANDIDATE_CATEGORY).first()
    return category.code, Code.objects.of(Table.HOUSEHOLD_TYPE).first().code


def save(page, confirmation: str = CONFIRM) -> None:
    page.locator("#id_confirmation_password").fill(confirmation)
    page.get_by_role("button", name="保存我的信息").click()


def test_s6_candidate_fills_every_section_saves_corrects_and_sees_it_read_only_after_closing(
    page, live_server, demo_accounts, shot
):
    base = live_server.url
    candidate, password = issued_candidate("demo-furong-point")
    category, household = consistent_category()
    candidate_first_sign_in(page, base, candidate, password)

    page.get_by_test_id("data-link").click()
    page.locator("#id_political_status").select_option(index=1)
    page.locator("#id_candidate_category").select_option(category)
    page.locator("#id_household_type").select_option(household)
    page.locator("#id_household_region").fill("430102")
    page.locator("#id_disability_category").select_option(index=0)
    page.locator("#id_graduation_type").select_option(index=1)
    # S6: the school comes from the province's list, the candidate's county first.
    page.locator("#id_school").select_option(label="芙蓉区演示中学")
    page.locator("#id_student_number").fill("G" + candidate.id_number)
    page.locator("#id_proficiency_number").fill("2019430102001")
    page.locator("#id_foreign_language").select_option(index=1)
    page.locator("#id_mobile").fill("13800138000")
    page.locator("#id_specialties").fill("书法、长跑")
    page.locator("#id_awards").fill("2019年市三好学生")
    page.locator("#id_resume-0-start").fill("2014-09")
    page.locator("#id_resume-0-end").fill("2017-06")
    page.locator("#id_resume-0-school_or_employer").fill("芙蓉区演示初级中学")
    page.locator("#id_resume-0-role").fill("学生")
    page.locator("#id_family-0-name").fill("张大山")
    page.locator("#id_family-0-relation").fill("父亲")
    page.locator("#id_family-0-employer").fill("长沙市某公司")
    page.locator("#id_family-0-phone").fill("13900139000")

    # O5: a wrong confirmation password saves nothing and keeps what was typed.
    save(page, "not-my-password")
    expect(page.locator(".alert-danger").first).to_be_visible()
    expect(page.locator("#id_mobile")).to_have_value("13800138000")
    expect(page.locator("#id_family-0-name")).to_have_value("张大山")
    candidate.refresh_from_db()
    assert candidate.mobile == "" and candidate.data_saved_at is None

    save(page)
    expect(page.locator(".alert-success")).to_be_visible()
    candidate.refresh_from_db()
    assert candidate.mobile == "13800138000" and candidate.school == "4301020001"
    assert (candidate.candidate_category, candidate.household_type) == (category, household)
    assert candidate.resume.count() == 1 and candidate.family.count() == 1

    # A correction.
    page.locator("#id_mobile").fill("13700137000")
    save(page)
    expect(page.locator(".alert-success")).to_be_visible()
    candidate.refresh_from_db()
    assert candidate.mobile == "13700137000"

    shot(page, "portal-data")
    page.goto(f"{base}/ks/status/")
    expect(page.get_by_test_id("status")).to_contain_text("✓")
    expect(page.get_by_test_id("history")).to_be_visible()
    shot(page, "portal-status")
    page.goto(f"{base}/ks/proofreading/")
    expect(page.get_by_test_id("proofreading")).to_contain_text("芙蓉区演示中学")

    # R2.1: the province moves the main window into the past (in the admin's schedule);
    # the same candidate now sees their data read-only, and the server refuses saves.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Phase.objects.filter(season=candidate.season, kind=PhaseKind.MAIN).update(
        starts_at=day_start(yesterday - dt.timedelta(days=7)), ends_at=day_end(yesterday)
    )
    page.goto(f"{base}/ks/data/")
    expect(page.get_by_test_id("closed")).to_be_visible()
    expect(page.locator("#id_mobile")).to_be_disabled()
    expect(page.locator("#id_mobile")).to_have_value("13700137000")
    expect(page.locator("#id_confirmation_password")).to_have_count(0)


def test_s6_portal_pages_fit_a_phone_screen(open_page, live_server, demo_accounts):
    """Item 8: on a phone-sized screen no page scrolls sideways."""
    page = open_page(viewport={"width": 360, "height": 740})
    candidate, password = issued_candidate("demo-furong-point")
    base = live_server.url
    candidate_first_sign_in(page, base, candidate, password)
    for path in ("/ks/status/", "/ks/data/", "/ks/proofreading/", "/ks/password/"):
        page.goto(f"{base}{path}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than a 360px screen"
