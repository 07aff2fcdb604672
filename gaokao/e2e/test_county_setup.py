"""Issue journey for S1/S2 in a real browser: a county authenticates, enables its points'
accounts, prints the slips, allocates number ranges, and a point signs in with its slip."""

from playwright.sync_api import expect

from gaokao.demo.services import DemoAccount
from gaokao.e2e.journeys import first_sign_in
from gaokao.numbering.services import next_free_serial
from gaokao.regions.models import Region
from gaokao.seasons import current

POINT_PERSON = DemoAccount("", "", "", "", "刘晓红", "11010519491231002X")


def test_s2_county_enables_points_prints_slips_allocates_ranges_and_a_point_signs_in(
    page, live_server, demo_accounts, tmp_path
):
    base = live_server.url
    first_sign_in(page, base, demo_accounts["demo-furong"])

    # Enable the point that has no account yet (0102002), in one step.
    page.get_by_role("link", name="账号管理").click()
    page.get_by_role("link", name="批量开通报名点账号").click()
    row = page.get_by_role("row").filter(has_text="0102002")
    row.get_by_role("textbox").nth(0).fill(POINT_PERSON.real_name)
    row.get_by_role("textbox").nth(1).fill(POINT_PERSON.id_number)
    row.get_by_role("textbox").nth(2).fill("13912345678")
    page.get_by_role("button", name="创建账号").click()

    expect(page.get_by_role("heading", name="初始密码")).to_be_visible()
    username = "bmd0102002"
    expect(page.get_by_role("row").filter(has_text=username)).to_be_visible()
    password = page.get_by_test_id("initial-password").inner_text()

    # The slips are a real PDF.
    slips = page.request.get(f"{base}/office/accounts/issued/slips.pdf")
    assert slips.headers["content-type"] == "application/pdf"
    assert slips.body().startswith(b"%PDF")
    (tmp_path / "slips.pdf").write_bytes(slips.body())
    page.get_by_role("button", name="完成：清除密码").click()
    expect(page.get_by_role("cell", name=username)).to_be_visible()

    # Number ranges: expected counts, a proposal, saved after the demo's own ranges.
    county = Region.objects.get(code="430102")
    start = next_free_serial(county, current())
    page.get_by_role("link", name="号段管理").click()
    page.get_by_role("link", name="分配号段").click()
    page.get_by_label("0102001 芙蓉区演示中学报名点 · 理工").fill("300")
    page.get_by_label("0102002 芙蓉区演示职业学校报名点 · 对口").fill("120")
    page.get_by_role("button", name="生成方案").click()
    expect(page.get_by_test_id("proposals")).to_be_visible()
    page.get_by_role("button", name="保存").click()
    ranges = page.get_by_test_id("ranges")
    expect(ranges).to_contain_text(f"0102{start:04d}–0102{start + 329:04d}")  # 300 + 10 %
    expect(ranges).to_contain_text(f"0102{start + 330:04d}–0102{start + 461:04d}")

    # The point signs in with the slip's user name and initial password.
    page.get_by_role("button", name="退出").click()
    first_sign_in(
        page,
        base,
        DemoAccount(username, password, "", "", POINT_PERSON.real_name, POINT_PERSON.id_number),
    )
    expect(page.locator("h1")).to_contain_text("0102002")
