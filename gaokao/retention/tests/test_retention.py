"""Retention: `gaokao purge --season S` removes a closed season's personal data after its
retention date — candidates and everything naming them, photo files included — keeping
aggregate statistics; it refuses the current season and any day up to the date."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from gaokao.accounts.models import Throttle
from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Candidate, FamilyMember, ResumeEntry
from gaokao.payments.models import PaymentOrder
from gaokao.photos.models import CandidatePhoto, PhotoSource
from gaokao.photos.services import add_photo
from gaokao.photos.tests.images import asymmetric, encode
from gaokao.professional.models import Registration
from gaokao.retention import services
from gaokao.retention.models import PurgedSeason
from gaokao.testing.factories import CandidateFactory, CategoryFactory, SeasonFactory, aware

pytestmark = pytest.mark.django_db

KEPT_UNTIL = dt.date(2026, 6, 30)


@pytest.fixture
def old(county, point, point_user, media):
    """Last year's season with two candidates, a photo, rows and a paid order, and this
    year's season with one candidate."""
    province = county.parent.parent
    old = SeasonFactory(province=province, is_current=False, retain_until=KEPT_UNTIL, year=2025)
    current = SeasonFactory(province=province, is_current=True, year=2026)
    gone = [CandidateFactory(season=old, point=point) for _ in range(2)]
    add_photo(gone[0], encode(asymmetric(600, 800)), source=PhotoSource.CAMERA, by=point_user)
    ResumeEntry.objects.create(candidate=gone[0], start="2020-09", school_or_employer="一中")
    FamilyMember.objects.create(candidate=gone[0], name="张三", relation="父亲")
    registration = Registration.objects.create(
        candidate=gone[1],
        category=CategoryFactory(season=old),
        exam_phone="13912345678",
        status=Registration.Status.PAID,
    )
    PaymentOrder.objects.create(
        registration=registration,
        out_trade_no="GK2025000001",
        channel="wechat",
        amount_fen=12000,
        expires_at=timezone.now(),
    )
    Throttle.objects.create(
        scope="candidate-number", key=gone[0].registration_number, window_started_at=timezone.now()
    )
    CandidateFactory(season=current, point=point)
    return old


def photo_files(media):
    return [p for p in media.rglob("*") if p.is_file()]


def test_o4_retention_purge_removes_the_personal_data_and_keeps_statistics(old, media):
    assert photo_files(media)
    with time_machine.travel(aware(2026, 7, 1, 9)):
        services.purge(old, by="ops@host")
    assert not Candidate.objects.filter(season=old).exists()
    assert Candidate.objects.count() == 1  # this year's is untouched
    assert not (CandidatePhoto.objects.exists() or ResumeEntry.objects.exists())
    assert not (FamilyMember.objects.exists() or PaymentOrder.objects.exists())
    assert not Registration.objects.exists() and not Throttle.objects.exists()
    assert photo_files(media) == []
    stats = PurgedSeason.objects.get(season=old).statistics
    assert stats["candidates"] == 2 and stats["photos"] == 1
    assert stats["payments"] == [{"channel": "wechat", "state": "created", "n": 1, "fen": 12000}]
    assert sum(row["n"] for row in stats["by_sex"]) == 2
    steps = AuditEvent.objects.filter(action=Action.PURGED).values_list("detail", flat=True)
    assert [d["step"] for d in steps.order_by("at", "id")] == ["started", "finished"]


@pytest.mark.parametrize("day", [dt.date(2026, 6, 30), dt.date(2026, 1, 1)])
def test_o4_retention_refuses_until_the_day_after_the_date(old, day):
    noon = dt.datetime.combine(day, dt.time(12)).astimezone()
    with (
        time_machine.travel(noon),
        pytest.raises(services.RetentionRefused, match="2026-06-30"),
    ):
        services.purge(old, by="ops@host")
    assert Candidate.objects.filter(season=old).count() == 2


def test_o4_retention_refuses_the_current_season_and_one_without_a_date(old):
    from gaokao.seasons.models import Season

    current = Season.objects.get(is_current=True)
    current.retain_until = KEPT_UNTIL
    current.save()
    with time_machine.travel(aware(2027, 1, 1, 9)):
        with pytest.raises(services.RetentionRefused):
            services.purge(current, by="ops@host")
        old.retain_until = None
        old.save()
        with pytest.raises(services.RetentionRefused):
            services.purge(old, by="ops@host")
    assert Candidate.objects.count() == 3


def test_o4_retention_a_stopped_purge_runs_again_to_the_end(old, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 1)
    calls = []

    def stop_after_first(done, total):
        calls.append(done)
        raise KeyboardInterrupt

    with time_machine.travel(aware(2026, 7, 1, 9)):
        with pytest.raises(KeyboardInterrupt):
            services.purge(old, by="ops@host", progress=stop_after_first)
        assert Candidate.objects.filter(season=old).count() == 1
        assert PurgedSeason.objects.get(season=old).finished_at is None
        services.purge(old, by="ops@host")
    purged = PurgedSeason.objects.get(season=old)
    assert purged.finished_at is not None and purged.statistics["candidates"] == 2


def test_o4_retention_command_dry_run_then_yes(old):
    out = StringIO()
    with time_machine.travel(aware(2026, 7, 1, 9)):
        call_command("purge", "--season", old.name, "--dry-run", stdout=out)
        assert "2 名考生" in out.getvalue() and "试运行" in out.getvalue()
        assert Candidate.objects.filter(season=old).count() == 2
        with pytest.raises(CommandError, match="--yes"):
            call_command("purge", "--season", old.name, stdout=StringIO())
        call_command("purge", "--season", old.name, "--yes", stdout=StringIO())
    assert not Candidate.objects.filter(season=old).exists()


def test_o4_retention_command_refuses_before_the_date_in_chinese(old):
    with (
        time_machine.travel(aware(2026, 6, 30, 23)),
        pytest.raises(CommandError, match="2026-06-30"),
    ):
        call_command("purge", "--season", old.name, "--yes", stdout=StringIO())
