"""Steps shared by the browser journeys, written the way a person works the pages."""

import time

import pyotp
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from gaokao.candidates import services
from gaokao.candidates.models import Candidate
from gaokao.demo.services import DemoAccount
from gaokao.idcard.simulator import default_deck
from gaokao.seasons.models import Season
from gaokao.testing.steps import point_checks_done

NEW_PASSWORD = "Xiangjiang-2020-river"
CONFIRM = "queren-mima-2020"  # a candidate's confirmation password


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


def issued_candidate(point_username: str, track: str = "5") -> tuple[Candidate, str]:
    """A candidate read from the simulated reader's first card at the point, checked and
    with a printed login card: (candidate, login password)."""
    user = get_user_model().objects.get(username=point_username)
    season = Season.objects.get(is_current=True)
    card = default_deck()[0].identity
    candidate = services.take_in_from_card(season, user.point, track, card, by=user)
    candidate = point_checks_done(candidate, user)
    [issued] = services.issue_login_cards([candidate], by=user)
    return issued.candidate, issued.password


def candidate_first_sign_in(page: Page, base: str, candidate: Candidate, password: str) -> None:
    """The candidate's first sign-in at /ks/, setting the confirmation password (O5)."""
    page.goto(f"{base}/ks/")
    page.locator("#id_registration_number").fill(candidate.registration_number)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    # O5: the confirmation password comes first.
    page.locator("#id_password").fill(CONFIRM)
    page.locator("#id_password2").fill(CONFIRM)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("status")).to_be_visible()
