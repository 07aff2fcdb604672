"""Art candidate journey (S6, O6) in a real browser: two categories chosen, one paid in the
sandbox gateway (WeChat Pay's protocol), the other abandoned (Alipay's), and the status
page and the county's report say so. Notifications travel over real HTTP to the live
server, signed and verified like the real gateways'."""

import pytest
from playwright.sync_api import expect

from gaokao.e2e.journeys import CONFIRM, candidate_first_sign_in, first_sign_in, issued_candidate
from gaokao.payments.config import write_sandbox_config


@pytest.fixture
def sandbox(settings, tmp_path, live_server):
    settings.PAYMENTS_CONFIG = write_sandbox_config(tmp_path / "payments", live_server.url)
    settings.PAYMENTS_SANDBOX = True


def choose(page, code: str, **items: str) -> None:
    card = page.get_by_test_id(f"category-{code}")
    for name, value in items.items():
        card.locator(f"#id_{code}-{name}").select_option(value)
    card.locator(f"#id_{code}-exam_phone").fill("13812345678")
    card.locator(f"#id_{code}-confirmation_password").fill(CONFIRM)
    card.get_by_role("button", name="选报该类别").click()
    expect(page.locator(".alert-success")).to_be_visible()


def test_o6_art_candidate_pays_one_category_abandons_another_and_the_county_sees_it(
    page, open_page, live_server, demo_accounts, sandbox, shot
):
    base = live_server.url
    candidate, password = issued_candidate("demo-furong-point", track="3")  # 艺术（文）
    candidate_first_sign_in(page, base, candidate, password)

    page.get_by_test_id("professional-link").click()
    choose(page, "MS")
    choose(page, "YY", main_item="器乐", secondary_item="钢琴")

    # 美术 with WeChat Pay: the QR's address is the sandbox cashier, opened beside the page
    # as a phone would; after paying there, the candidate asks for the result.
    page.get_by_test_id("pay-MS-wechat").click()
    expect(page.get_by_test_id("pay-qr").locator("svg")).to_be_visible()
    shot(page, "portal-pay-wechat")
    with page.expect_popup() as opened:
        page.get_by_test_id("pay-link").click()
    phone = opened.value
    expect(phone.get_by_test_id("sandbox-amount")).to_have_text("120.00")
    phone.get_by_role("button", name="支付", exact=True).click()
    phone.close()
    page.get_by_role("link", name="我已支付，查看结果").click()
    expect(page.get_by_test_id("order-state")).to_have_text("已支付")

    # 音乐 with Alipay: to the gateway's page, then abandon.
    page.goto(f"{base}/ks/professional/")
    page.get_by_test_id("pay-YY-alipay").click()
    page.get_by_test_id("pay-link").click()
    page.get_by_role("button", name="放弃支付").click()
    expect(page.get_by_test_id("order-state")).to_have_text("待支付")

    page.goto(f"{base}/ks/status/")
    status = page.get_by_test_id("professional-status")
    expect(status.locator("tr", has_text="美术")).to_contain_text("已报名")
    expect(status.locator("tr", has_text="音乐")).to_contain_text("已选报，未缴费")

    county = open_page()
    first_sign_in(county, base, demo_accounts["demo-furong"])
    county.get_by_role("link", name="专业考试").click()
    report = county.get_by_test_id("report")
    expect(report.locator("tr", has_text="美术")).to_contain_text("120.00")
    cells = report.locator("tr", has_text="音乐").locator("td")
    expect(cells.nth(2)).to_have_text("0")  # registered
    expect(cells.nth(3)).to_have_text("1")  # chosen, not paid
    shot(county, "office-professional-report")
