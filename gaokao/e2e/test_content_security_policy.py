"""Issue 10 §6 in a real browser: the main pages of the office web, the portal and the
province's configuration work under the Content-Security-Policy of
gaokao.web.security without a single violation (no inline script, no handler
attribute, nothing from another origin), and the intake page still reaches the ID-card
reader bridge on the point's PC."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from gaokao.candidates.models import Candidate
from gaokao.e2e.journeys import candidate_first_sign_in, first_sign_in, issued_candidate
from gaokao.idcard.bridge import start_bridge

COLLECT = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`
  );
});
"""


@pytest.fixture
def reader(live_server, settings):
    server, _thread = start_bridge("sim", "127.0.0.1:0", origins=[live_server.url])
    host, port = server.server_address[:2]
    settings.GAOKAO_READER_URL = f"http://{host}:{port}"
    yield server
    server.stop()


def watched(open_page):
    """A page that records CSP violations (events and console messages)."""
    page = open_page()
    page.context.add_init_script(COLLECT)
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("dialog", lambda dialog: dialog.accept())
    return page, console


def test_e3_main_pages_raise_no_csp_violation(open_page, live_server, demo_accounts, reader):
    base = live_server.url
    policies: set[str] = set()
    problems: dict[str, list[str]] = {}

    def check(page, console, path):
        answer = page.goto(base + path)
        assert answer is not None and answer.status < 400, path
        policies.add(answer.headers.get("content-security-policy", ""))
        page.wait_for_load_state("load")
        violations = page.evaluate("window.__violations") + console
        if violations:
            problems[path] = list(violations)
        console.clear()

    # The point: intake with the reader bridge, a candidate, photos, proofreading, comments.
    point, point_console = watched(open_page)
    first_sign_in(point, base, demo_accounts["demo-furong-point"])
    candidate, password = issued_candidate("demo-furong-point")
    for path in (
        "/office/",
        "/office/candidates/",
        "/office/candidates/login-cards/",
        f"/office/candidates/{candidate.pk}/",
        f"/office/photos/{candidate.pk}/",
        "/office/proofreading/",
        "/office/comments/",
        "/office/submission/",
        "/office/progress/",
        "/office/notices/",
        "/office/incidents/new/",
        "/office/schedule/",
        "/office/audit/",
        "/office/candidates/intake/",
    ):
        check(point, point_console, path)
    # fetch() to the reader bridge (connect-src): the simulated reader's first card is the
    # candidate's above (refused as taken in already), its second one is new.
    rows, status = point.locator("[data-role=rows] tr"), point.locator("[data-role=status]")
    before = rows.count()
    point.get_by_label("科类").select_option(label="理工")
    point.locator("[data-action=read]").click()
    expect(status).to_have_class(re.compile("alert-danger"))
    point.locator("[data-action=read]").click()
    expect(status).to_have_class(re.compile("alert-success"))
    expect(rows).to_have_count(before + 1)
    problems["intake: reading cards"] = point.evaluate("window.__violations") + point_console
    user = get_user_model().objects.get(username="demo-furong-point")
    assert Candidate.objects.filter(point=user.point).count() == 2

    # The province: its levers, exports, accounts, the system page and the admin.
    province, province_console = watched(open_page)
    first_sign_in(province, base, demo_accounts["demo-province"])
    for path in (
        "/office/gate/",
        "/office/extensions/",
        "/office/exports/",
        "/office/accounts/",
        "/office/system/",
        "/office/accounts/confirm-identity/?next=/office/",
        "/admin/",
        "/admin/seasons/season/",
        "/admin/seasons/season/add/",
    ):
        check(province, province_console, path)

    # The candidate: the portal.
    portal, portal_console = watched(open_page)
    candidate_first_sign_in(portal, base, candidate, password)
    for path in ("/ks/status/", "/ks/data/", "/ks/proofreading/", "/ks/password/"):
        check(portal, portal_console, path)

    [policy] = policies  # every page had the one policy
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert not {where: found for where, found in problems.items() if found}
