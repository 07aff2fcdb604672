"""Each level browses the audit events of its own jurisdiction (E3, E8)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from gaokao.audit.models import Action, AuditEvent
from gaokao.audit.services import record
from gaokao.testing.factories import aware, staff_for

pytestmark = pytest.mark.django_db


def listed(client, **params):
    return list(client.get(reverse("audit:events"), params).context["page"])


def test_e3_events_are_scoped_to_the_jurisdiction(
    client, county_user, point_user, other_county_user
):
    at_point = record(Action.LOGIN, actor=point_user)
    at_county = record(Action.LOGIN, actor=county_user)
    elsewhere = record(Action.LOGIN, actor=other_county_user)
    client.force_login(county_user)
    assert set(listed(client)) == {at_point, at_county}
    client.force_login(point_user)
    assert listed(client) == [at_point]
    client.force_login(other_county_user)
    assert listed(client) == [elsewhere]
    client.force_login(staff_for(county_user.region.parent.parent))
    assert set(listed(client)) == {at_point, at_county, elsewhere}


def test_e3_events_filter_by_user_action_and_date(client, county_user, point_user):
    record(Action.LOGIN, actor=point_user)
    failed = record(Action.LOGIN_FAILED, actor=point_user)
    old = record(Action.LOGIN, actor=county_user)
    AuditEvent.objects.filter(pk=old.pk).update(at=aware(2019, 10, 28, 9, 0))
    client.force_login(county_user)
    assert listed(client, action=Action.LOGIN_FAILED) == [failed]
    assert {e.actor for e in listed(client, user=point_user.username)} == {point_user}
    assert [e.pk for e in listed(client, since="2019-10-28", until="2019-10-28")] == [old.pk]
    today = timezone.localdate().isoformat()
    assert old not in listed(client, since=today)


def test_e3_anonymous_visitors_cannot_read_the_trail(client):
    assert client.get(reverse("audit:events")).status_code == 302
