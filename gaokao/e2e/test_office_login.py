"""Office web sign-in in a real browser (R1: every level works in the same online system;
S1: real-name authentication and a second factor)."""

import re

from playwright.sync_api import expect

from gaokao.e2e.journeys import NEW_PASSWORD, first_sign_in, next_code, sign_in


def test_s1_county_authenticates_at_first_sign_in_then_uses_password_and_code(
    page, live_server, demo_accounts, shot
):
    account = demo_accounts["demo-furong"]
    secret = first_sign_in(page, live_server.url, account)
    expect(page.locator("h1")).to_have_text("芙蓉区")
    shot(page, "office-home")

    page.get_by_role("button", name="退出").click()
    sign_in(page, live_server.url, account.username, NEW_PASSWORD)
    page.get_by_label("验证码").fill(next_code(secret))
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(account.username)


def test_r1_wrong_password_stays_on_login_page(page, live_server, demo_accounts):
    account = demo_accounts["demo-furong"]
    sign_in(page, live_server.url, account.username, account.password + "-wrong")

    expect(page).to_have_url(re.compile(r"/office/login/$"))
    expect(page.locator(".alert-danger")).to_contain_text("用户名或密码错误")
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)
    page.goto(f"{live_server.url}/office/")
    expect(page).to_have_url(re.compile(r"/office/login/\?next=/office/$"))


def test_r1_point_account_lands_on_its_point(page, live_server, demo_accounts):
    first_sign_in(page, live_server.url, demo_accounts["demo-furong-point"])
    expect(page.locator("h1")).to_have_text("0102001 芙蓉区演示中学报名点")
    expect(page.locator("a[href='/office/units/points/0102001/']").first).to_be_visible()
