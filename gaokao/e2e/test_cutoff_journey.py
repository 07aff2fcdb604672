"""Cut-offs per level (issue 19) in a real browser: the province moves the points' cut-off
of R2.4 into the past, the county's dashboard shows it, a point's change is then refused
with the cut-off and its moment, and the county returns the point's submission so the
change can be made."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from gaokao.candidates.models import Candidate
from gaokao.e2e.journeys import first_sign_in
from gaokao.e2e.test_submission_journey import ready_for_proofreading
from gaokao.proofreading.models import Confirmation, Method
from gaokao.seasons.models import Phase, PhaseKind
from gaokao.submission.services import submit


def signed(candidate, user) -> None:
    Confirmation.objects.create(
        candidate=candidate,
        method=Method.SIGNATURE,
        version=candidate.version,
        recorded_by=user,
        recorded_at=timezone.now(),
    )


def save_note(page, base, candidate, note: str) -> None:
    page.goto(f"{base}/office/candidates/{candidate.pk}/")
    checks = page.locator("form[action$='/checks/']")
    checks.get_by_label("备注").fill(note)
    checks.locator("button[type=submit]").click()


def test_r2_4_the_province_moves_the_points_cutoff_and_the_county_reopens_by_returning(
    open_page, live_server, demo_accounts, shot
):
    base = live_server.url
    point_user = get_user_model().objects.get(username="demo-furong-point")
    sent, kept = ready_for_proofreading(2)
    signed(sent, point_user)
    assert submit(point_user, [sent.pk]).moved  # in time: the county holds it now

    # The province moves the points' cut-off of R2.4 to yesterday noon, on its schedule
    # screen (时间安排), with the reason the audit trail keeps.
    phase = Phase.objects.get(season=sent.season, kind=PhaseKind.CITY_ALL)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    province = open_page()
    first_sign_in(province, base, demo_accounts["demo-province"])
    province.goto(f"{base}/office/extensions/phases/")
    province.locator(f"a[href$='/phases/{phase.pk}/']").click()
    province.locator("input[name=point_cutoff]").fill(f"{yesterday.isoformat()}T12:00:00")
    province.locator("input[name=reason]").fill("报名点提前截止")
    province.get_by_role("button", name="保存").click()
    expect(province.locator(".alert-success")).to_be_visible()
    shot(province, "phase-cutoff-moved")
    phase.refresh_from_db()
    assert timezone.localtime(phase.point_cutoff).date() == yesterday

    # Every dashboard shows the unit's cut-off: the county sees its point's.
    county = open_page()
    county.on("dialog", lambda dialog: dialog.accept())
    first_sign_in(county, base, demo_accounts["demo-furong"])
    cache.clear()  # the grid is shared for 10 s
    county.goto(f"{base}/office/progress/")
    unit = county.locator(f"[data-unit='{point_user.point.code}'] [data-testid=cutoffs]")
    expect(unit).to_contain_text(f"{yesterday.month}-{yesterday.day} 12:00")

    # The point: a change to a record it holds is refused, naming the cut-off's moment.
    point = open_page()
    first_sign_in(point, base, demo_accounts["demo-furong-point"])
    save_note(point, base, kept, "补交材料")
    expect(point.locator(".alert-danger")).to_contain_text("12:00")
    shot(point, "refused-after-cutoff")
    assert Candidate.objects.get(pk=kept.pk).eligibility_note == ""

    # The county returns the submitted record: the point may change it again.
    county.goto(f"{base}/office/submission/")
    county.get_by_label(sent.registration_number).check()
    county.get_by_label("退回原因").fill("截止后补正，请补充备注")
    county.get_by_role("button", name="退回所选考生").click()
    expect(county.locator(".alert-success")).to_contain_text("1")

    save_note(point, base, sent, "已补正")
    expect(point.locator(".alert-success")).to_be_visible()
    assert Candidate.objects.get(pk=sent.pk).eligibility_note == "已补正"
