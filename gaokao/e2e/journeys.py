"""Steps shared by the browser journeys, written the way a person works the pages."""

import time

import pyotp
from playwright.sync_api import Page, expect

from gaokao.demo.services import DemoAccount

NEW_PASSWORD = "Xiangjiang-2020-river"


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/office/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def next_code(secret: str) -> str:
    """The code of the next 30 seconds, which the server accepts for clock drift. A
    journey signing in twice within one step cannot reuse the current code (a code
    works once), so it always types the next one."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def first_sign_in(
    page: Page, base_url: str, account: DemoAccount, new_password: str = NEW_PASSWORD
) -> str:
    """Real-name authentication at first sign-in; returns the authenticator secret."""
    sign_in(page, base_url, account.username, account.password)
    expect(page.get_by_role("heading", name="实名认证", exact=True)).to_be_visible()
    page.get_by_label("本人姓名").fill(account.real_name)
    page.get_by_label("本人身份证号").fill(account.id_number)
    page.get_by_label("新密码", exact=True).fill(new_password)
    page.get_by_label("再次输入新密码").fill(new_password)
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("验证码").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="完成认证").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(account.username)
    return secret
