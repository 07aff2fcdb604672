"""S6 at province scale (issue 11 §3): a background refresher recomputes the dashboards'
shared grid, so that no request pays for the scan; requests only read it, and take the
work back if the refresher stops."""

import datetime as dt
import os
import signal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from gaokao.progress import services
from gaokao.testing.factories import CandidateFactory, aware

pytestmark = pytest.mark.django_db
START = aware(2019, 11, 5, 10, 0)


@pytest.fixture
def current(season, point):
    season.is_current = True
    season.save()
    CandidateFactory(season=season, point=point)
    return season


@pytest.fixture
def now():
    return START


@pytest.fixture
def ticking():
    return False


@pytest.fixture
def scans(monkeypatch):
    """The number of grid computations (each one scan of the season's candidates)."""
    done = []
    compute = services._compute

    def counted(season):
        done.append(season)
        return compute(season)

    monkeypatch.setattr(services, "_compute", counted)
    return done


def total(user) -> int:
    return sum(r["counts"][0] for r in services.by_unit(user))


def test_s6_requests_read_the_refreshers_grid_without_recomputing(
    county_user, current, point, clock, scans
):
    out = StringIO()
    call_command("progress", "refresh", stdout=out)
    assert "已重新统计" in out.getvalue() and len(scans) == 1
    CandidateFactory(season=current, point=point)

    assert total(county_user) == 1  # the refresher's grid, not a new scan
    clock.shift(dt.timedelta(seconds=services.GRID_SECONDS - 1))
    assert total(county_user) == 1 and len(scans) == 1


def test_s6_a_worker_grid_serves_for_its_period_and_grace(
    county_user, current, point, clock, scans
):
    services.refresh(every=10)
    CandidateFactory(season=current, point=point)
    clock.shift(dt.timedelta(seconds=10 + services.REFRESHER_GRACE - 1))
    assert total(county_user) == 1 and len(scans) == 1

    clock.shift(dt.timedelta(seconds=2))  # the refresher has stopped: a request takes over
    assert total(county_user) == 2 and len(scans) == 2


def test_s6_without_a_refresher_a_request_recomputes_a_stale_grid(
    county_user, current, point, clock, scans
):
    assert total(county_user) == 1 and len(scans) == 1  # no grid at all: computed
    CandidateFactory(season=current, point=point)
    assert total(county_user) == 1 and len(scans) == 1
    clock.shift(dt.timedelta(seconds=services.GRID_SECONDS + 1))
    assert total(county_user) == 2 and len(scans) == 2


def test_s6_two_refreshers_share_the_period(current, clock, scans):
    assert services.refresh_due(10) == current
    assert services.refresh_due(10) is None  # the other worker did it this period
    clock.shift(dt.timedelta(seconds=10))
    assert services.refresh_due(10) == current and len(scans) == 2


def test_s6_refresh_without_a_season_says_so(db):
    out = StringIO()
    call_command("progress", "refresh", stdout=out)
    assert out.getvalue().strip()


def test_s6_the_refresher_loop_stops_on_sigterm(current, monkeypatch):
    previous = signal.getsignal(signal.SIGTERM)
    rounds = []

    def refresh_due(every):
        rounds.append(every)
        os.kill(os.getpid(), signal.SIGTERM)  # systemd stopping the service
        return current

    monkeypatch.setattr(services, "refresh_due", refresh_due)
    out = StringIO()
    call_command("progress", "refresh", "--every", "30", stdout=out)
    assert rounds == [30] and "已重新统计" in out.getvalue()
    assert signal.getsignal(signal.SIGTERM) == previous


def test_s6_the_refresher_period_has_a_floor(db):
    with pytest.raises(CommandError):
        call_command("progress", "refresh", "--every", "1")
