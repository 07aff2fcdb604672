"""E8 on PostgreSQL: several people resolve (or pass up) the same incident at once; one
wins, the others are told, and the trail holds one event."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from gaokao.audit.models import Action, AuditEvent
from gaokao.incidents import services
from gaokao.incidents.models import Entry, Incident, Level
from gaokao.testing.concurrency import run_together
from gaokao.testing.factories import staff_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def clock():
    """Real time here: the threads share no frozen clock."""
    yield


def outcome(result):
    return "won" if isinstance(result, Incident) else getattr(result, "code", repr(result))


def _report(point_user):
    return services.report_incident(
        by=point_user,
        kind="power",
        started_at=timezone.now() - dt.timedelta(hours=1),
        description="停电",
    )


def test_e8_five_resolutions_at_once_one_wins(postgresql_only, point, county, point_user):
    incident = _report(point_user)
    users = [staff_for(county) for _ in range(5)]
    results = run_together(
        5,
        lambda i: services.resolve(incident, by=users[i], resolution=f"处理{i}", version=1),
    )
    kinds = Counter(outcome(r) for r in results)
    assert kinds == {"won": 1, "resolved": 4}, results
    assert AuditEvent.objects.filter(action=Action.INCIDENT_RESOLVED).count() == 1
    assert Incident.objects.get().entries.filter(kind=Entry.RESOLVED).count() == 1


def test_e8_a_pass_up_and_a_resolution_at_once_do_not_both_win(
    postgresql_only, point, county, point_user
):
    incident = _report(point_user)
    county_user = staff_for(county)

    def work(i):
        if i == 0:
            return services.escalate(incident, by=point_user, note="上报", version=1)
        return services.resolve(incident, by=county_user, resolution="已解决", version=1)

    results = run_together(2, work)
    assert sorted(outcome(r) for r in results) in (["stale", "won"], ["resolved", "won"])
    final = Incident.objects.get()
    assert final.version == 2
    assert (final.status, final.current_level) in (("open", Level.COUNTY), ("resolved", "county"))
