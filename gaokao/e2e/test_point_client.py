"""Point client journey (R4, E4 — issue 12 §8) in a real browser, with real processes: the
central server (`gaokao runserver`, SQLite of its own) and a point PC enrolled with
`gaokao client enrol` and serving the office web with `gaokao client serve`, syncing in the
background. The centre goes dark; point staff sign in on the PC, key in a candidate without
a readable card and the candidate's paper draft form, and see the work waiting to sync
with the server unreachable. The centre comes back on the same port with the same database;
the PC sends the candidate by itself, once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pyotp
import pytest
from playwright.sync_api import expect

from gaokao.client.tests.processes import CentralServer, PointClient, query
from gaokao.testing.factories import resident_id

NAME = "陈晓梅"
ID_NUMBER = resident_id(732, birth="20020315")  # even: a woman
MOBILE = "13912345678"


def until(condition: Callable[[], object], what: str, seconds: float = 90) -> object:
    """Polls `condition` until it is true; fails naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds:.0f} s for {what}")
        time.sleep(0.5)


@pytest.fixture
def central(tmp_path) -> Iterator[tuple[CentralServer, dict]]:
    server = CentralServer(tmp_path)
    account = server.set_up()
    server.start()
    try:
        yield server, account
    finally:
        server.stop()


@pytest.fixture
def point_pc(tmp_path) -> Iterator[PointClient]:
    client = PointClient(tmp_path)
    try:
        yield client
    finally:
        client.stop()


def sign_in_on_the_pc(page, base: str, account: dict, secret: str) -> None:
    page.goto(f"{base}/office/login/")
    page.get_by_label("用户名").fill(account["username"])
    page.get_by_label("密码").fill(account["password"])
    page.get_by_role("button", name="登录").click()
    page.get_by_label("验证码").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(account["username"])


def key_in_identity(page, shot) -> None:
    """O3: no readable card at hand, the identity keyed in from the documents."""
    page.get_by_role("link", name="考生", exact=True).first.click()
    page.get_by_role("link", name="手工录入身份信息").click()
    page.get_by_label("科类", exact=True).select_option(label="理工")
    page.get_by_label("身份类型").select_option(label="无证或证件损坏")
    page.get_by_label("证件类型", exact=True).select_option(label="居民身份证")
    page.get_by_label("证件号码", exact=True).fill(ID_NUMBER)
    page.get_by_label("姓名", exact=True).fill(NAME)
    page.get_by_label("性别", exact=True).select_option(label="女")
    page.get_by_label("民族", exact=True).select_option(label="汉族")
    page.get_by_label("出生日期", exact=True).fill("2002-03-15")
    shot(page, "client-identity-offline")
    page.get_by_role("button", name="受理").click()
    expect(page.get_by_test_id("review-state")).to_be_visible()


def key_in_paper_form(page, shot) -> None:
    """E4: the candidate's paper draft form, typed in as written."""
    page.get_by_role("link", name="按纸质草表录入").click()
    page.locator("#id_political_status").select_option(label="共青团员")
    page.locator("#id_household_region").fill("430102")
    page.locator("#id_mobile").fill(MOBILE)
    page.locator("#id_specialties").fill("篮球")
    page.locator("#id_resume-0-start").fill("2014-09")
    page.locator("#id_resume-0-end").fill("2017-06")
    page.locator("#id_resume-0-school_or_employer").fill("长沙市第一中学")
    page.locator("#id_resume-0-role").fill("学生")
    page.locator("#id_family-0-name").fill("陈大海")
    page.locator("#id_family-0-relation").fill("父亲")
    page.locator("#id_family-0-phone").fill("0731-1234567")
    shot(page, "client-paper-form")
    page.get_by_role("button", name="保存纸质草表内容").click()
    expect(page.locator(".alert-success")).to_be_visible()


def test_r4_e4_point_client_takes_in_offline_and_syncs_when_the_server_returns(
    central, point_pc, open_page, shot
):
    server, account = central
    secret = point_pc.enrol(server.url, account)
    point_pc.serve()
    until(lambda: point_pc.last_sync()[0] == 1, "a first background sync")

    # The power goes out at the centre; the PC's next sync fails.
    server.stop()
    until(lambda: point_pc.last_sync()[0] == 0, "a failed background sync")

    page = open_page()
    base = point_pc.url
    sign_in_on_the_pc(page, base, account, secret)
    key_in_identity(page, shot)
    key_in_paper_form(page, shot)
    # One change, or two when a sync attempt in between froze the intake as sent.
    changes = point_pc.pending()
    assert changes in (1, 2)

    page.get_by_role("link", name="待同步").click()
    state = page.get_by_test_id("sync-state")
    expect(state).to_contain_text("失败")
    expect(state).to_contain_text("无法连接服务器")
    expect(page.get_by_test_id("pending-changes")).to_have_text(str(changes))
    expect(page.get_by_test_id("pending")).to_contain_text(NAME)
    expect(page.get_by_test_id("pending")).to_contain_text("新考生")
    shot(page, "client-waiting-to-sync")
    assert query(server.db, "SELECT COUNT(*) FROM candidates_candidate") == [(0,)]

    # The centre is back, same port, same database: the PC sends the work by itself.
    server.start()
    until(lambda: point_pc.pending() == 0, "the background sync to send the candidate")
    until(lambda: point_pc.last_sync()[0] == 1, "a successful background sync")
    page.reload()
    expect(page.get_by_test_id("pending-changes")).to_have_text("0")
    expect(page.get_by_test_id("pending")).to_have_count(0)
    expect(page.get_by_text("所有数据都已上传到服务器。")).to_be_visible()
    expect(state).to_contain_text("成功")
    shot(page, "client-synced")

    [(number,)] = query(
        point_pc.db, "SELECT registration_number FROM candidates_candidate WHERE name = ?", NAME
    )
    on_server = query(
        server.db,
        "SELECT registration_number, eligibility_path, keyed_from_paper, mobile"
        " FROM candidates_candidate WHERE name = ?",
        NAME,
    )
    assert on_server == [(number, "no_card", 1, MOBILE)]  # exactly once
    assert query(server.db, "SELECT COUNT(*) FROM candidates_candidate") == [(1,)]
    receipts = "SELECT COUNT(*), MIN(status), MAX(status) FROM sync_receipt"
    assert query(server.db, receipts) == [(changes, "applied", "applied")]
