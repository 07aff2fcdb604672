"""Issue 20, item 1, with real processes and two databases: a central server (`gaokao
runserver`, its own SQLite) and a point client (GAOKAO_MODE=client, another SQLite). The
point takes in a candidate and prints the login card while the centre is down; after the
sync the candidate signs in at the central portal with the printed password, through the
portal's real sign-in page.

Takes about half a minute (two databases are migrated, a server is started).
"""

from __future__ import annotations

import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

import pytest

from gaokao.client.tests.processes import (
    GAOKAO,
    CentralServer,
    PointClient,
    last_json,
    query,
    run,
)

# Separate processes on their own SQLite files: DATABASE_URL plays no part, so the
# PostgreSQL pass of CI leaves them out (.ci/run).
pytestmark = pytest.mark.processes

SCRIPTS = "gaokao.client.tests.issue20_scripts"


@pytest.fixture(autouse=True)
def clock():
    """Real time here: the processes' clocks and the authenticator code must agree."""
    yield


def portal_sign_in(base: str, number: str, password: str) -> str:
    """Sign in at the central portal as a browser does (the CSRF token from the page):
    the address the answer ends on."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/ks/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "registration_number": number, "password": password}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (http on loopback)
        f"{base}/ks/", data=body, headers={"Referer": f"{base}/ks/"}
    )
    with opener.open(request, timeout=30) as answer:
        return answer.geturl()


def test_s4_issue20_a_card_printed_offline_signs_in_at_the_central_portal(tmp_path):
    central = CentralServer(tmp_path)
    account = central.set_up()
    central.start()
    try:
        point = PointClient(tmp_path)
        run([GAOKAO, "migrate", "-v0"], point.env)
        point.enrol(central.url, account)
        central.stop()  # the centre is down: the point works on

        issued = last_json(run([sys.executable, "-m", SCRIPTS, "card", "1"], point.env))
        # The client's outbox keeps the card's hash, never the password.
        assert point.pending() == 1
        assert query(central.db, "SELECT COUNT(*) FROM candidates_candidate")[0][0] == 0

        central.start()
        synced = run([GAOKAO, "client", "sync"], point.env, check=False)
        assert synced.returncode == 0, synced.stdout + synced.stderr

        [(stored, count)] = query(
            central.db,
            "SELECT portal_password, credentials_issued_count FROM candidates_candidate",
        )
        assert stored.startswith("argon2") and issued["password"] not in stored
        assert count == 1
        # Signed in: a first sign-in is asked for the confirmation password (O5) first.
        assert portal_sign_in(central.url, issued["number"], issued["password"]).endswith(
            "/ks/confirmation-password/"
        )
        assert portal_sign_in(central.url, issued["number"], "wrong-password-1").endswith("/ks/")
    finally:
        central.stop()
