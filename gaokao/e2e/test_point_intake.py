"""Issue journey for R3/S3/S4/S5/O1/O2 in a real browser: a point reads five cards through
the reader bridge and the simulated reader, records fee and eligibility, takes a photo and
prints the login card; the county approves a migrant child, the city an other document."""

import re

import pytest
from playwright.sync_api import expect

from gaokao.candidates.models import Candidate, ReviewState
from gaokao.e2e.journeys import first_sign_in
from gaokao.idcard.bridge import start_bridge
from gaokao.photos.tests.images import portrait


@pytest.fixture
def reader(live_server, settings):
    """The reader bridge with the simulated reader, allowing the live server's pages."""
    server, _thread = start_bridge("sim", "127.0.0.1:0", origins=[live_server.url])
    host, port = server.server_address[:2]
    settings.GAOKAO_READER_URL = f"http://{host}:{port}"
    yield server
    server.stop()


def read_five_cards(page, base, shot):
    page.goto(f"{base}/office/candidates/intake/")
    page.get_by_label("科类").select_option(label="理工")
    rows = page.locator("[data-role=rows] tr")
    before = rows.count()
    for n in range(1, 6):
        page.locator("[data-action=read]").click()
        expect(rows).to_have_count(before + n)
    expect(page.locator("[data-role=status]")).to_have_class(re.compile("alert-success"))
    shot(page, "office-intake")


def key_in(page, base, path_label, document_label, number, name, birth):
    page.goto(f"{base}/office/candidates/intake/manual/")
    page.locator("#id_subject_track").select_option("1")
    page.locator("#id_path").select_option(label=path_label)
    page.locator("#id_document_type").select_option(label=document_label)
    page.locator("#id_id_number").fill(number)
    page.locator("#id_name").fill(name)
    page.locator("#id_sex").select_option("2")
    page.locator("#id_ethnicity").select_option("01")
    page.locator("#id_birth_date").fill(birth)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("review-state")).to_be_visible()


def approve(page, base, account, name):
    page.get_by_role("button", name="退出").click()
    first_sign_in(page, base, account)
    page.goto(f"{base}/office/candidates/reviews/")
    page.get_by_role("row").filter(has_text=name).get_by_role("link").click()
    page.locator("#id_decision").select_option("approve")
    page.locator("form[action$='/review/'] button[type=submit]").click()
    expect(page.get_by_test_id("review-state")).to_contain_text("通过")


def test_s3_point_reads_cards_checks_fees_takes_photos_and_prints_login_cards(
    page, live_server, demo_accounts, reader, tmp_path, shot
):
    base = live_server.url
    first_sign_in(page, base, demo_accounts["demo-furong-point"])
    read_five_cards(page, base, shot)
    assert Candidate.objects.filter(point__code="0102001").count() == 5

    # S5 on the first candidate: documents, fee, eligibility.
    page.locator("[data-role=rows] tr a").last.click()
    page.locator("#id_documents_received").check()
    page.locator("#id_fee_yuan").select_option("paid")  # the demo's configured fee
    page.locator("#id_fee_receipt").fill("HN-0001")
    page.locator("#id_eligibility").select_option("eligible")
    page.locator("form[action$='/checks/'] button[type=submit]").click()
    expect(page.get_by_test_id("blockers")).to_have_count(0)

    # A photo from a camera file (R3).
    photo = tmp_path / "camera.jpg"
    portrait().save(photo, "JPEG", quality=90)
    page.locator("a[href*='/office/photos/']").click()
    page.locator("#id_file").set_input_files(photo)
    page.locator("#id_source").select_option("upload")
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator("img.photos-current")).to_be_visible()

    # S4: the login card.
    page.goto(f"{base}/office/candidates/login-cards/")
    page.locator("main form button[type=submit]").click()
    password = page.get_by_test_id("initial-password").inner_text()
    assert len(password) == 12
    cards = page.request.get(f"{base}/office/candidates/login-cards/issued/cards.pdf")
    assert cards.headers["content-type"] == "application/pdf" and cards.body().startswith(b"%PDF")

    # O1 and O2: keyed in at the point, approved by the county and the city.
    key_in(
        page,
        base,
        "进城务工人员随迁子女",
        "居民身份证",
        "11010519491231002X",
        "随迁子女",
        "1949-12-31",
    )
    key_in(page, base, "其他身份证件", "护照", "E12345678", "持护照考生", "2002-05-01")
    approve(page, base, demo_accounts["demo-furong"], "随迁子女")
    approve(page, base, demo_accounts["demo-changsha"], "持护照考生")
    states = dict(
        Candidate.objects.filter(name__in=["随迁子女", "持护照考生"]).values_list(
            "name", "review_state"
        )
    )
    assert states == {"随迁子女": ReviewState.APPROVED, "持护照考生": ReviewState.APPROVED}
