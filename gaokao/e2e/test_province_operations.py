"""E3, E6, E8 in a real browser with the demo: the province pauses the candidate portal
(the candidate sees the province's message) and lifts the pause, grants an extension to a
county, and a point reports a power cut that the province records as resolved."""

import datetime as dt

from playwright.sync_api import expect

from gaokao.e2e.journeys import candidate_first_sign_in, first_sign_in, issued_candidate
from gaokao.seasons.models import Extension

MESSAGE = "系统维护，预计 30 分钟后恢复"


def test_e3_e8_province_pauses_the_portal_extends_a_county_and_closes_a_points_incident(
    open_page, live_server, demo_accounts, shot
):
    base = live_server.url
    province = open_page()
    point = open_page()
    candidate_page = open_page()
    for page in (province, point, candidate_page):
        page.set_default_timeout(10_000)
    province.on("dialog", lambda dialog: dialog.accept())

    candidate, password = issued_candidate("demo-furong-point")
    candidate_first_sign_in(candidate_page, base, candidate, password)
    first_sign_in(province, base, demo_accounts["demo-province"])

    # Pause the candidate portal: the candidate sees the message instead of the page.
    province.get_by_role("link", name="暂停与限流").click()
    province.get_by_label("暂停", exact=True).select_option("portal")
    province.get_by_label("暂停期间每个页面显示的说明").fill(MESSAGE)
    province.get_by_role("button", name="暂停", exact=True).click()
    expect(province.get_by_test_id("scope-portal")).to_contain_text("已暂停")
    answer = candidate_page.goto(f"{base}/ks/status/")
    assert answer.status == 503 and answer.headers["retry-after"] == "120"
    expect(candidate_page.get_by_text(MESSAGE)).to_be_visible()
    shot(province, "office-pause")
    shot(candidate_page, "portal-paused")
    # The office web is not paused: the point works on.
    first_sign_in(point, base, demo_accounts["demo-furong-point"])

    province.get_by_test_id("scope-portal").get_by_role("button", name="解除暂停").click()
    expect(province.get_by_test_id("scope-portal")).to_contain_text("正常服务")
    candidate_page.goto(f"{base}/ks/status/")
    expect(candidate_page.get_by_test_id("status")).to_be_visible()

    # An extension of the main window for 芙蓉区.
    province.get_by_role("link", name="延期", exact=True).click()
    province.get_by_label("芙蓉区").check()
    later = dt.date.today() + dt.timedelta(days=30)
    province.get_by_label("新截止日期").fill(later.isoformat())
    province.get_by_label("原因").fill("芙蓉区暴雨停电")
    province.get_by_role("button", name="批准延期").click()
    expect(province.get_by_test_id("extensions")).to_contain_text("芙蓉区")
    assert Extension.objects.get(region__name="芙蓉区").reason == "芙蓉区暴雨停电"

    # The point reports a power cut; the province sees it and records it as resolved.
    point.get_by_role("link", name="突发事件").click()
    point.get_by_role("link", name="报告突发事件").click()
    point.get_by_label("类别").select_option("power")
    point.get_by_label("事件经过").fill("上午九点起停电，已改用纸质草表。")
    point.get_by_role("button", name="报告", exact=True).click()
    expect(point.get_by_test_id("description")).to_contain_text("纸质草表")

    province.get_by_role("link", name="突发事件").click()
    row = province.get_by_test_id("incident").filter(has_text="停电")
    row.get_by_role("link").first.click()
    province.get_by_test_id("resolve").get_by_label("处理结果").fill("已恢复供电，数据已补录。")
    province.get_by_role("button", name="记为处理完毕").click()
    expect(province.get_by_test_id("status")).to_contain_text("已解决")
    shot(province, "office-incident")
    point.reload()
    expect(point.get_by_test_id("resolution")).to_contain_text("已恢复供电")
