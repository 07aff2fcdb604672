"""Office web sign-in in a real browser.

R1: every level (province, city, county, registration point) works in the same online system.
"""

import re

from playwright.sync_api import Page, expect

from gaokao.demo.services import DemoAccount


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/office/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("button[type=submit]").click()


def test_r1_staff_sign_in_with_demo_account(page, live_server, demo_accounts, tmp_path):
    account: DemoAccount = demo_accounts["demo-furong"]
    sign_in(page, live_server.url, account.username, account.password)

    expect(page).to_have_url(f"{live_server.url}/office/")
    expect(page.locator("h1")).to_have_text("芙蓉区")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(account.username)

    screenshot = page.screenshot(path=tmp_path / "office-home.png", full_page=True)
    assert (tmp_path / "office-home.png").stat().st_size == len(screenshot) > 0


def test_r1_wrong_password_stays_on_login_page(page, live_server, demo_accounts):
    account = demo_accounts["demo-furong"]
    sign_in(page, live_server.url, account.username, account.password + "-wrong")

    expect(page).to_have_url(re.compile(r"/office/login/$"))
    expect(page.locator(".alert-danger")).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)

    page.goto(f"{live_server.url}/office/")
    expect(page).to_have_url(re.compile(r"/office/login/\?next=/office/$"))


def test_r1_point_account_lands_on_its_point(page, live_server, demo_accounts):
    account = demo_accounts["demo-furong-point"]
    sign_in(page, live_server.url, account.username, account.password)

    expect(page).to_have_url(f"{live_server.url}/office/")
    expect(page.locator("h1")).to_have_text("0102001 芙蓉区演示中学报名点")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(account.username)
    point_link = page.locator("a[href='/office/units/points/0102001/']").first
    expect(point_link).to_be_visible()
