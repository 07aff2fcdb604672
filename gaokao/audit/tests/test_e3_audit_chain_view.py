"""E3: the audit trail page checks, on demand, the hash chains of the events it shows."""

import pytest
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.audit.services import record

pytestmark = pytest.mark.django_db


def check(client, **params):
    return client.get(reverse("audit:events"), {"verify": "1", **params})


def test_e3_audit_chain_view_shows_intact_chains(client, county_user, point_user):
    events = [record(Action.LOGIN, actor=u) for u in (point_user, county_user, point_user)]
    client.force_login(county_user)
    plain = client.get(reverse("audit:events"))
    assert plain.context["problems"] is None and 'data-testid="verify"' in plain.text
    response = check(client)
    assert response.context["problems"] == {events[0].chain: [], events[1].chain: []}
    assert all(event.chain_intact for event in response.context["page"])
    assert "alert-success" in response.text and "text-bg-danger" not in response.text


def test_e3_audit_chain_view_names_a_changed_event(client, county_user, point_user):
    events = [record(Action.LOGIN, actor=u) for u in (point_user, county_user, point_user)]
    AuditEvent.objects.filter(pk=events[2].pk).update(detail={"changed": True})
    client.force_login(county_user)
    response = check(client)
    found = response.context["problems_found"]
    assert [(p.kind, p.event_id) for p in found] == [("edited", events[2].pk)]
    intact = {e.pk: e.chain_intact for e in response.context["page"]}
    assert intact == {events[0].pk: False, events[1].pk: True, events[2].pk: False}
    assert "alert-danger" in response.text and str(found[0]) in response.text


def test_e3_audit_chain_view_checks_only_the_users_own_chains(
    client, county_user, point_user, other_county_user
):
    mine = record(Action.LOGIN, actor=point_user)
    theirs = record(Action.LOGIN, actor=other_county_user)
    AuditEvent.objects.filter(pk=theirs.pk).update(detail={"changed": True})
    client.force_login(county_user)
    response = check(client)
    assert response.context["problems"] == {mine.chain: []}
    assert response.context["problems_found"] == [] and "alert-success" in response.text
    client.force_login(other_county_user)
    found = check(client).context["problems"]
    assert [(chain, [p.event_id for p in problems]) for chain, problems in found.items()] == [
        (theirs.chain, [theirs.pk])
    ]


def test_e3_audit_chain_view_needs_a_signed_in_user(client):
    assert check(client).status_code == 302
