"""Submission journey (S7, S8, S9, S6 progress) in a real browser: the point records the
candidates' signatures, enters their comments and submits; the county returns one with a
reason and submits the other; the city confirms; the province accepts and exports; each
level's progress dashboard follows."""

import csv
import io
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from gaokao.candidates import services
from gaokao.e2e.journeys import first_sign_in
from gaokao.idcard.simulator import default_deck
from gaokao.photos.models import PhotoSource
from gaokao.photos.services import add_photo
from gaokao.photos.tests import images
from gaokao.proofreading.services import record_printed
from gaokao.seasons.models import Season
from gaokao.testing.steps import point_checks_done


def ready_for_proofreading(count: int) -> list:
    """Candidates taken in at the demo point with checks, photo, data, and their
    proofreading sheets printed: what a point has when candidates come to sign."""
    user = get_user_model().objects.get(username="demo-furong-point")
    season = Season.objects.get(is_current=True)
    photo = images.encode(images.portrait(480, 640), quality=90)
    made = []
    for card in default_deck()[:count]:
        c = services.take_in_from_card(season, user.point, "5", card.identity, by=user)
        c = point_checks_done(c, user)
        add_photo(c, photo, source=PhotoSource.UPLOAD, by=user)
        type(c).objects.filter(pk=c.pk).update(
            data_saved_at=timezone.now(),
            candidate_category="1",
            household_type="1",
            graduation_type="1",
            mobile="13812345678",
        )
        c.refresh_from_db()
        record_printed([(c, c.version)], document="sheet", by=user)
        made.append(c)
    return made


def progress_cell(page, base, state_label: str) -> str:
    """The total of one column of the user's progress dashboard."""
    cache.clear()  # the grid is shared for 10 s; the journey wants it now
    page.goto(f"{base}/office/progress/")
    table = page.get_by_test_id("by-unit")
    headers = table.locator("thead th").all_inner_texts()
    return table.locator("tfoot td").nth(headers.index(state_label) - 1).inner_text()


def test_s9_point_county_city_province_with_a_return_and_the_dashboards(
    open_page, live_server, demo_accounts, shot
):
    base = live_server.url
    first, second = ready_for_proofreading(2)

    point = open_page()
    point.on("dialog", lambda dialog: dialog.accept())
    first_sign_in(point, base, demo_accounts["demo-furong-point"])
    for c in (first, second):  # S7: the candidates checked their sheets and signed
        point.goto(f"{base}/office/proofreading/{c.pk}/")
        point.get_by_role("button", name="登记签名").click()
        expect(point.get_by_test_id("state")).to_have_text("已签名确认")
    point.goto(f"{base}/office/comments/")  # S8: the comments, on the batch screen
    for c in (first, second):
        point.get_by_label(f"{c.name}的评语").fill("遵纪守法，学习努力，品德良好。")
    point.get_by_role("button", name="保存已修改的评语").click()
    expect(point.locator(".alert-success")).to_be_visible()
    point.goto(f"{base}/office/submission/")
    point.get_by_role("button", name="上报全部可上报考生").click()
    expect(point.locator(".alert-success")).to_contain_text("2")
    assert progress_cell(point, base, "报名点已上报") == "2"

    county = open_page()
    county.on("dialog", lambda dialog: dialog.accept())
    first_sign_in(county, base, demo_accounts["demo-furong"])
    county.goto(f"{base}/office/submission/")
    county.get_by_label(first.registration_number).check()
    county.get_by_label("退回原因").fill("相片背景不合格，请重拍")
    county.get_by_role("button", name="退回所选考生").click()
    expect(county.locator(".alert-success")).to_contain_text("1")
    county.get_by_role("button", name="上报全部可上报考生").click()
    assert progress_cell(county, base, "县区已上报") == "1"

    point.goto(f"{base}/office/submission/")  # the returned one is back, with the reason
    expect(point.get_by_test_id("returned")).to_contain_text("相片背景不合格")

    city = open_page()
    city.on("dialog", lambda dialog: dialog.accept())
    first_sign_in(city, base, demo_accounts["demo-changsha"])
    city.goto(f"{base}/office/submission/")
    city.get_by_role("button", name="上报全部可上报考生").click()
    assert progress_cell(city, base, "市州已上报") == "1"

    province = open_page()
    province.on("dialog", lambda dialog: dialog.accept())
    first_sign_in(province, base, demo_accounts["demo-province"])
    province.goto(f"{base}/office/submission/")
    province.get_by_role("button", name="全部接收").click()
    assert progress_cell(province, base, "省已接收") == "1"
    shot(province, "office-progress")
    province.goto(f"{base}/office/exports/")
    with province.expect_download() as download:
        province.get_by_role("button", name="下载 CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:]] == [second.registration_number]
