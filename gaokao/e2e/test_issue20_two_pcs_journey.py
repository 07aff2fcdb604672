"""Issue 20's journey in a real browser, with real processes: a central server (`gaokao
runserver`, its own SQLite) and two PCs of one point, each enrolled with `gaokao client
enrol` and started with `gaokao client run` (waitress, the simulated ID-card reader, the
sync loop), each on its own SQLite.

The centre goes dark. On each PC the point's staff read two candidates' ID cards, record
their documents, fee and eligibility and print their login cards; the header says the PC
is offline. PC 1 also writes its pending work to a disc bundle, with the key its
configuration brought (no --server-key). The centre comes back on the same port: both PCs
send their work by themselves; the four candidates are at the centre under four different
numbers, from each PC's own block. A candidate signs in at the central portal with a card
printed offline. The county checks and imports PC 1's disc: everything in it has already
arrived by sync, so nothing is applied twice.

Takes about a minute, two on a busy machine (three databases are migrated, three servers
are started).
"""

from __future__ import annotations

import sys
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from gaokao.client.tests.processes import (
    GAOKAO,
    CentralServer,
    PointClient,
    last_json,
    query,
    run,
)
from gaokao.e2e.journeys import next_code
from gaokao.e2e.test_point_client import sign_in_on_the_pc, until

# Separate processes on their own SQLite files: DATABASE_URL plays no part, so the
# PostgreSQL pass of CI leaves them out (.ci/run).
pytestmark = pytest.mark.processes

FEE_FEN = 4000  # the province's fee for 理工 (subject track 5)

# At the centre, besides the point and its account (netfault_scripts server-setup): the
# registration fee, which the configuration carries to the PCs, and a county account.
CENTRE_SETUP = f"""
import json

import django

django.setup()

import pyotp
from django.utils import timezone

from gaokao.codes.models import RegistrationFee
from gaokao.regions.models import RegistrationPoint
from gaokao.seasons.models import Season
from gaokao.testing.factories import PASSWORD, staff_for

point = RegistrationPoint.objects.get()
season = Season.objects.get(is_current=True)
RegistrationFee.objects.create(season=season, subject_track="5", fee_fen={FEE_FEN})
county = staff_for(
    point.county,
    username="county-office",
    totp_secret=pyotp.random_base32(),
    real_name_verified_at=timezone.now(),
)
print(json.dumps(
    {{"username": county.username, "password": PASSWORD, "totp_secret": county.totp_secret}}
))
"""


@pytest.fixture
def central(tmp_path) -> Iterator[tuple[CentralServer, dict, dict]]:
    server = CentralServer(tmp_path)
    point_account = server.set_up()
    county_account = last_json(run([sys.executable, "-c", CENTRE_SETUP], server.env))
    server.start()
    try:
        yield server, point_account, county_account
    finally:
        server.stop()


@pytest.fixture
def two_pcs(tmp_path) -> Iterator[tuple[PointClient, PointClient]]:
    pcs = PointClient(tmp_path, "pc1"), PointClient(tmp_path, "pc2")
    try:
        yield pcs
    finally:
        for pc in pcs:
            pc.stop()


def skip_cards(pc: PointClient, n: int) -> None:
    """The simulated reader's deck is the same on every PC: its first cards are the people
    PC 1 took in. Read `n` cards off PC 2's reader first (the bridge answers a request
    without an Origin, as from a tool on the PC), so that it reads other people."""
    for _ in range(n):
        request = urllib.request.Request(  # noqa: S310 (http on loopback)
            f"{pc.reader_url}/read", data=b"", method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            assert b'"ok": true' in answer.read()


def read_two_cards(page, base: str) -> list[str]:
    """Two ID cards on the reader at the intake page; the addresses of the two records."""
    page.goto(f"{base}/office/candidates/intake/")
    page.get_by_label("科类").select_option(label="理工")
    rows = page.locator("[data-role=rows] tr")
    before = rows.count()
    for n in (1, 2):
        page.locator("[data-action=read]").click()
        expect(rows).to_have_count(before + n)
    links = rows.locator("a")
    return [links.nth(i).get_attribute("href") for i in range(links.count())][-2:]


def record_checks(page, base: str, href: str, receipt: str) -> None:
    """S5: documents received, the fee the province set paid, eligible."""
    page.goto(base + href)
    page.locator("#id_documents_received").check()
    page.locator("#id_fee_yuan").select_option("paid")
    page.locator("#id_fee_receipt").fill(receipt)
    page.locator("#id_eligibility").select_option("eligible")
    page.locator("form[action$='/checks/'] button[type=submit]").click()
    expect(page.get_by_test_id("blockers")).to_have_count(0)


def print_login_cards(page, base: str) -> dict[str, str]:
    """S4 on the PC, offline: cards for everyone ready; {number: password} as the issued
    page shows them, and the cards' PDF."""
    page.goto(f"{base}/office/candidates/login-cards/")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("initial-password").first).to_be_visible()
    cards = {}
    for row in page.locator("main table tbody tr").all():
        number = row.locator("td").first.inner_text().strip()
        cards[number] = row.get_by_test_id("initial-password").inner_text().strip()
    pdf = page.request.get(f"{base}/office/candidates/login-cards/issued/cards.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    return cards


def take_in_offline(page, pc: PointClient, account: dict, secret: str, first: int):
    """A clerk's morning on one PC while the centre is dark: {number: password}."""
    sign_in_on_the_pc(page, pc.url, account, secret)
    online = page.get_by_test_id("client-online")
    expect(online).to_have_attribute("data-online", "false")
    expect(online).to_contain_text("离线")
    for n, href in enumerate(read_two_cards(page, pc.url), start=first):
        record_checks(page, pc.url, href, f"R-{n:04d}")
    return print_login_cards(page, pc.url)


def test_s3_issue20_two_pcs_of_a_point_offline_cards_sync_portal_and_disc(
    central, two_pcs, open_page, shot, tmp_path
):
    server, account, county = central
    pc1, pc2 = two_pcs

    # 1. Both PCs of the point enrol; the second is told it is the second.
    secret1 = pc1.enrol(server.url, account, "教务处电脑")
    secret2 = pc2.enrol(server.url, account, "报名点电脑2", code=next_code(account["totp_secret"]))
    assert "教务处电脑" in pc2.enrolled_output  # the other PC, named
    assert (pc2.data / "client" / "peers.json").read_text().count('"number": 2') == 1
    pc1.run()
    pc2.run()
    for pc in (pc1, pc2):
        until(lambda pc=pc: pc.last_sync()[0] == 1, "a first background sync")

    # 2. The centre goes dark.
    server.stop()
    for pc in (pc1, pc2):
        until(lambda pc=pc: pc.last_sync()[0] == 0, "a failed background sync")

    # 3, 4. On each PC two candidates are read, checked and get their login cards.
    page1, page2 = open_page(), open_page()
    cards1 = take_in_offline(page1, pc1, account, secret1, first=1)
    skip_cards(pc2, 2)
    cards2 = take_in_offline(page2, pc2, account, secret2, first=3)
    shot(page2, "pc2-offline-cards-printed")
    assert len(cards1) == len(cards2) == 2
    assert not set(cards1) & set(cards2)  # each PC's numbers from its own block
    assert query(server.db, "SELECT COUNT(*) FROM candidates_candidate") == [(0,)]

    # PC 1 writes its pending work to a disc, with the bundle key enrolment brought.
    disc = tmp_path / "pc1.gkb"
    exported = run([GAOKAO, "client", "export", str(disc)], pc1.env)
    assert disc.stat().st_size > 0, exported.stdout

    # 5. The centre is back on the same port: both PCs send their work by themselves.
    server.start()
    for pc in (pc1, pc2):
        until(lambda pc=pc: pc.pending() == 0, "the background sync to send the work")
        until(lambda pc=pc: pc.last_sync()[0] == 1, "a successful background sync")
    at_centre = query(
        server.db,
        "SELECT registration_number, portal_password, credentials_issued_count"
        " FROM candidates_candidate",
    )
    assert sorted(number for number, _p, _c in at_centre) == sorted([*cards1, *cards2])
    for number, stored, count in at_centre:
        assert stored.startswith("argon2") and cards1.get(number, cards2.get(number)) not in stored
        assert count == 1
    assert query(server.db, "SELECT COUNT(*) FROM sync_conflict") == [(0,)]

    # 6. A candidate of PC 2 signs in at the central portal with the card printed offline:
    # a first sign-in is asked for the confirmation password (O5).
    number, password = sorted(cards2.items())[0]
    portal = open_page()
    portal.goto(f"{server.url}/ks/")
    portal.locator("#id_registration_number").fill(number)
    portal.locator("#id_password").fill(password)
    portal.locator("main form button[type=submit]").click()
    expect(portal).to_have_url(f"{server.url}/ks/confirmation-password/")
    expect(portal.locator("#id_password2")).to_be_visible()
    shot(portal, "portal-signed-in-with-an-offline-card")

    # 7. The county checks PC 1's disc, then imports it: all of it arrived by sync already.
    office = open_page()
    sign_in_on_the_pc(office, server.url, county, county["totp_secret"])
    office.get_by_role("link", name="导入数据盘").click()
    office.get_by_label("数据包文件").set_input_files(str(disc))
    office.get_by_role("button", name="检查文件").click()
    expect(office.get_by_test_id("point")).to_contain_text(account["point"])
    changes = int(office.get_by_test_id("changes").inner_text().split()[0])
    assert changes >= 2  # the two candidates of PC 1, with their checks and cards
    expect(office.get_by_test_id("already")).to_contain_text(str(changes))
    shot(office, "county-checks-the-disc")
    office.get_by_test_id("confirm").click()
    expect(office.get_by_test_id("applied")).to_have_text("0")  # nothing new to apply
    expect(office.get_by_test_id("duplicate")).to_have_text(str(changes))
    expect(office.get_by_test_id("refused")).to_have_text("0")
    shot(office, "county-imported-the-disc")
    assert query(server.db, "SELECT COUNT(*) FROM candidates_candidate") == [(4,)]
