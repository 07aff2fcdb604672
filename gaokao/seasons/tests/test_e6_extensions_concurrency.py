"""E3 on PostgreSQL: two grants to the same region for the same phase at once still leave
one row (the phase's row lock serialises them), and each is in the trail."""

import datetime as dt

import pytest

from gaokao.audit.models import Action, AuditEvent
from gaokao.seasons import services
from gaokao.seasons.models import Extension, PhaseKind, day_end
from gaokao.testing.concurrency import run_together
from gaokao.testing.factories import SeasonFactory, add_phase, staff_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_e3_simultaneous_grants_to_one_region_leave_one_row(postgresql_only, county):
    province = county.parent.parent
    season = SeasonFactory(province=province)
    phase = add_phase(
        season, PhaseKind.MAIN, opens=dt.date(2019, 10, 28), closes=dt.date(2099, 1, 1)
    )
    users = [staff_for(province) for _ in range(6)]
    closes = [day_end(dt.date(2099, 1, 2 + i)) for i in range(6)]
    results = run_together(
        6,
        lambda i: services.grant_extension(phase, [county], closes[i], f"理由{i}", by=users[i]),
    )
    assert all(isinstance(r, list) for r in results), results
    extension = Extension.objects.get()
    events = AuditEvent.objects.filter(action=Action.EXTENSION_GRANTED).order_by("pk")
    assert events.count() == 6
    # The row holds the close of the grant that came last, and each grant but the first
    # names the close it replaced.
    assert extension.ends_at == dt.datetime.fromisoformat(events.last().detail["ends_at"])
    assert sum(e.detail["replaced"] is None for e in events) == 1
