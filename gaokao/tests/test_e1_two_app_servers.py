"""E1, E3: two app servers (gunicorn processes) on one PostgreSQL and one Redis behave as
one site: a session begun on one continues on the other; sign-in failures on both add up
to one lockout; the admission cap, the time slots and the pause set in the database are
obeyed by both. This is docs/deploy.md's "more app servers" in miniature."""

import datetime as dt
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from gaokao.accounts.models import Throttle
from gaokao.gate.models import Admission, Pause, TimeSlot
from gaokao.privacy import keys
from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import (
    CandidateFactory,
    CountyFactory,
    PointFactory,
    SeasonFactory,
    add_phase,
    staff_for,
)

PASSWORD = "Kaosheng-2020"
SECRET = "two-servers-" + "k" * 50
REDIS_DB = 7


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def servers(postgresql_only, transactional_db, tmp_path):
    """Two gunicorn app servers on the test database and Redis; yields their base URLs."""
    import redis

    redis.Redis(db=REDIS_DB).flushdb()
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = os.environ | {
        "DATABASE_URL": f"{url}/{db['NAME']}",
        "SECRET_KEY": SECRET,
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "GAOKAO_DATA_DIR": str(tmp_path / "data"),
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "False",
        **keys.environment(),  # the ID numbers' keys of this test (gaokao.privacy)
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    processes, bases = [], []
    for n in range(2):
        port = free_port()
        command = [str(gunicorn), "gaokao.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        log = (tmp_path / f"server{n}.log").open("w")
        processes.append(
            subprocess.Popen(
                [*command, "--workers", "2", "--threads", "2"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base in bases:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                raise AssertionError((tmp_path / "server0.log").read_text())
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One candidate's browser: its cookies go to whichever server it is sent to."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def request(self, url: str, data: dict | None = None) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, body, timeout=20) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    def sign_in(self, base: str, number: str, password: str = PASSWORD) -> tuple[int, dict, str]:
        _status, _headers, page = self.request(base + "/ks/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"csrfmiddlewaretoken": token, "registration_number": number, "password": password}
        return self.request(base + "/ks/", form)


@pytest.fixture
def candidates(transactional_db):
    county = CountyFactory()
    season = SeasonFactory(province=county.parent.parent, is_current=True)
    today = timezone.localdate()
    add_phase(season, PhaseKind.MAIN, opens=today - dt.timedelta(days=1), closes=today)
    point = PointFactory(county=county)
    password = make_password(PASSWORD)
    return [
        CandidateFactory(
            season=season, point=point, portal_password=password, confirmation_password=password
        )
        for _ in range(4)
    ]


def test_e1_two_app_servers_share_sessions_throttles_admission_slots_and_the_pause(
    servers, candidates
):
    a, b = servers
    first, second, third, fourth = candidates

    # A session begun on one server continues on the other.
    one = Browser()
    status, headers, _page = one.sign_in(a, first.registration_number)
    assert (status, headers["Location"]) == (302, "/ks/status/")
    status, _headers, page = one.request(b + "/ks/status/")
    assert status == 200 and first.name in page

    # Wrong passwords sent to both servers count together: the fifth locks the number.
    for n in range(5):
        Browser().sign_in((a, b)[n % 2], second.registration_number, "wrong-password")
    assert Throttle.objects.get(key=second.registration_number).locked_until is not None
    status, _headers, page = Browser().sign_in(b, second.registration_number)
    assert status == 200 and "/ks/status/" not in page  # refused even with the right password

    # The admission cap: the first candidate holds the only seat; the third waits.
    Admission.objects.update_or_create(pk=1, defaults={"cap": 1})
    status, headers, _page = Browser().sign_in(b, third.registration_number)
    assert (status, headers["Location"]) == (302, "/ks/wait/")
    Admission.objects.filter(pk=1).update(cap=0)

    # A time slot for the candidates' city that is not now refuses the sign-in on both.
    now = timezone.localtime()
    starts = dt.time(0, 0) if now.hour >= 12 else dt.time(23, 0)
    slot = TimeSlot.objects.create(
        name="上午" if starts.hour == 0 else "深夜",
        first_day=now.date(),
        last_day=now.date() + dt.timedelta(days=1),
        starts=starts,
        ends=dt.time(starts.hour, 59),
    )
    slot.regions.add(fourth.point.county.parent)
    for base in (a, b):
        status, _headers, page = Browser().sign_in(base, fourth.registration_number)
        assert status == 200 and f"{starts:%H:%M}" in page

    # The pause, set in the database, is obeyed by both servers within seconds.
    Pause.objects.create(
        scope="portal",
        message="系统维护，请稍后再试",
        since=timezone.now(),
        by=staff_for(first.point.county.parent.parent),
    )
    deadline = time.monotonic() + 10
    answers = {}
    while time.monotonic() < deadline and len(answers) < 2:
        for base in (a, b):
            status, headers, page = one.request(base + "/ks/status/")
            if status == 503:
                answers[base] = (headers.get("Retry-After"), "系统维护" in page)
        time.sleep(0.5)
    assert answers == {a: ("120", True), b: ("120", True)}
