"""The demo: a season open today, points in a few counties, an account for every level."""

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from gaokao.accounts.models import StaffUser
from gaokao.demo.services import ensure_demo
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.seasons import current
from gaokao.seasons.models import PhaseKind, Season
from gaokao.testing.factories import SeasonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_r2_demo_season_is_current_and_open_today():
    ensure_demo()
    season = current()
    furong = Region.objects.get(code="430102")
    for kind in PhaseKind.values:
        assert season.is_open(kind, furong), kind


def test_r1_demo_has_an_account_for_every_level_that_signs_in():
    accounts = ensure_demo()
    roles = {StaffUser.objects.get(username=a.username).role for a in accounts}
    assert roles == {"province", "city", "county", "point"}
    for a in accounts:
        assert authenticate(username=a.username, password=a.password) is not None, a.username


def test_r1_running_the_demo_again_reuses_what_exists(data_dir):
    first = ensure_demo()
    counts = (StaffUser.objects.count(), RegistrationPoint.objects.count(), Season.objects.count())
    second = ensure_demo()
    assert [(a.username, a.password) for a in second] == [(a.username, a.password) for a in first]
    assert (
        StaffUser.objects.count(),
        RegistrationPoint.objects.count(),
        Season.objects.count(),
    ) == counts
    assert oct((data_dir / "demo-accounts.txt").stat().st_mode)[-3:] == "600"


def test_r1_a_lost_passwords_file_gives_new_passwords_that_work(data_dir):
    ensure_demo()
    (data_dir / "demo-accounts.txt").unlink()
    accounts = ensure_demo()
    assert all(authenticate(username=a.username, password=a.password) for a in accounts)


def test_r2_demo_becomes_the_current_season():
    older = SeasonFactory(is_current=True, province__code="430000", year=2019)
    ensure_demo(today=dt.date(2026, 11, 28))
    older.refresh_from_db()
    assert not older.is_current
    assert current().year == 2027


def test_r1_demo_command_prints_the_accounts_without_serving(capsys):
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert "demo-furong" in out
    assert "http://127.0.0.1:8000/office/" in out
