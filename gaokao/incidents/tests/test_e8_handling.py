"""E8: each level comments and acts; the incident is passed up the chain (point → county →
city → province); the level handling it or one above resolves it; anyone in the chain
reopens it; every step is in the timeline and the audit trail; an action taken on a page
that is out of date is refused with the text kept."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext

from gaokao.audit.models import Action, AuditEvent
from gaokao.incidents import services
from gaokao.incidents.models import Entry, Incident, Level, Status
from gaokao.incidents.services import IncidentRefused

pytestmark = pytest.mark.django_db


def url(name, incident):
    return reverse(f"incidents:{name}", args=[incident.pk])


def act(client, name, incident, text, version=None):
    version = incident.version if version is None else version
    return client.post(url(name, incident), {f"{name}-text": text, f"{name}-version": version})


def fresh(incident):
    return Incident.objects.get(pk=incident.pk)


def entries(incident):
    return list(fresh(incident).entries.values_list("kind", "by__username", "text"))


# ── the whole way: report, comment, pass up, resolve, reopen ────────────────────────────


def test_e8_an_incident_goes_up_the_chain_and_is_resolved_and_reopened(
    client, report, point, point_user, county_user, city_user, province_user
):
    incident = report(point_user, kind="power")

    client.force_login(county_user)
    assert act(client, "comment", incident, "已联系供电局。").status_code == 302
    assert fresh(incident).current_level == Level.POINT  # a comment moves nothing

    client.force_login(point_user)
    assert (
        act(client, "escalate", incident, "两小时内无法恢复，请县里协调发电机。").status_code == 302
    )
    incident = fresh(incident)
    assert incident.current_level == Level.COUNTY and incident.version == 2

    client.force_login(county_user)
    page = client.get(url("detail", incident))
    assert 'data-testid="resolve"' in page.text and 'data-testid="escalate"' in page.text
    assert act(client, "escalate", incident, "全县停电，请市里支援。").status_code == 302
    incident = fresh(incident)
    assert incident.current_level == Level.CITY

    client.force_login(city_user)
    assert act(client, "resolve", incident, "已调配发电机，报名恢复。").status_code == 302
    incident = fresh(incident)
    assert incident.status == Status.RESOLVED and incident.resolved_by == city_user
    assert incident.resolution == "已调配发电机，报名恢复。" and incident.resolved_at

    client.force_login(point_user)
    assert act(client, "reopen", incident, "又停电了。").status_code == 302
    incident = fresh(incident)
    assert incident.status == Status.OPEN and incident.resolved_at is None
    assert incident.current_level == Level.CITY  # back to the level that resolved it
    assert incident.resolution == ""

    assert entries(incident) == [
        (Entry.REPORTED, point_user.username, ""),
        (Entry.COMMENT, county_user.username, "已联系供电局。"),
        (Entry.ESCALATED, point_user.username, "两小时内无法恢复，请县里协调发电机。"),
        (Entry.ESCALATED, county_user.username, "全县停电，请市里支援。"),
        (Entry.RESOLVED, city_user.username, "已调配发电机，报名恢复。"),
        (Entry.REOPENED, point_user.username, "又停电了。"),
    ]
    passes = incident.entries.filter(kind=Entry.ESCALATED).order_by("pk")
    assert [(e.from_level, e.to_level) for e in passes] == [
        (Level.POINT, Level.COUNTY),
        (Level.COUNTY, Level.CITY),
    ]
    page = client.get(url("detail", incident)).text
    for text in (
        "已联系供电局。",
        "全县停电，请市里支援。",
        "已调配发电机，报名恢复。",
        "又停电了。",
    ):
        assert text in page


def test_e8_every_write_is_audited_for_the_whole_chain(
    report, point, point_user, county_user, city_user, province_user
):
    incident = report(point_user)
    services.comment(incident, by=province_user, text="省院已知悉。")
    services.escalate(incident, by=point_user, note="请县里处理", version=1)
    services.resolve(incident, by=county_user, resolution="已恢复", version=2)
    services.reopen(incident, by=city_user, reason="未彻底解决", version=3)
    events = AuditEvent.objects.filter(action__startswith="incidents.").order_by("pk")
    assert [(e.action, e.actor) for e in events] == [
        (Action.INCIDENT_REPORTED, point_user),
        (Action.INCIDENT_COMMENTED, province_user),
        (Action.INCIDENT_ESCALATED, point_user),
        (Action.INCIDENT_RESOLVED, county_user),
        (Action.INCIDENT_REOPENED, city_user),
    ]
    # Every event belongs to the reporting point, so everyone in the chain reads them all.
    assert {e.point for e in events} == {point}
    assert {e.detail["incident"] for e in events} == {incident.pk}
    escalated = events.get(action=Action.INCIDENT_ESCALATED)
    assert escalated.detail["from_level"] == "point" and escalated.detail["to_level"] == "county"
    assert events.get(action=Action.INCIDENT_REOPENED).detail["previous"]["resolved_by"] == str(
        county_user
    )


def test_e8_a_level_above_may_pass_it_up_past_the_levels_between(report, point_user, city_user):
    """The city reports to the province (the plan: 由市（州）上报省教育考试院信息处)."""
    incident = report(point_user, kind="other")
    incident = services.escalate(incident, by=city_user, note="请省院研究", version=1)
    assert incident.current_level == Level.PROVINCE


def test_e8_a_level_above_may_resolve_and_is_then_the_one_that_handled_it(
    report, point_user, province_user
):
    incident = report(point_user)
    incident = services.resolve(incident, by=province_user, resolution="中心已处理", version=1)
    assert incident.status == Status.RESOLVED and incident.current_level == Level.PROVINCE


# ── who may not ─────────────────────────────────────────────────────────────────────────


def test_e8_once_passed_up_the_level_below_can_only_comment(
    client, report, point_user, county_user
):
    incident = report(point_user)
    services.escalate(incident, by=point_user, note="请县里处理", version=1)
    client.force_login(point_user)
    page = client.get(url("detail", incident)).text
    assert 'data-testid="resolve"' not in page and 'data-testid="escalate"' not in page
    assert 'data-testid="comment"' in page and 'data-testid="not-yours"' in page
    response = act(client, "resolve", incident, "自行解决了")
    assert response.status_code == 409
    assert fresh(incident).status == Status.OPEN
    assert "自行解决了" in response.text  # the text is kept
    assert not AuditEvent.objects.filter(action=Action.INCIDENT_RESOLVED).exists()
    with pytest.raises(IncidentRefused) as refused:
        services.escalate(fresh(incident), by=point_user, note="再上报", version=2)
    assert refused.value.code == "not_allowed"


def test_e8_the_province_cannot_pass_it_further_up(client, report, province_user):
    incident = report(province_user, kind="system")
    client.force_login(province_user)
    assert 'data-testid="escalate"' not in client.get(url("detail", incident)).text
    assert act(client, "escalate", incident, "无处可报").status_code == 409
    assert fresh(incident).current_level == Level.PROVINCE


def test_e8_a_city_cannot_touch_another_citys_incident(
    client, report, point_user, other_city_user, other_county_user
):
    incident = report(point_user)
    for user in (other_city_user, other_county_user):
        client.force_login(user)
        for name in ("comment", "escalate", "resolve"):
            assert act(client, name, incident, "越权操作").status_code == 404
    assert fresh(incident).status == Status.OPEN and fresh(incident).version == 1
    assert list(fresh(incident).entries.values_list("kind", flat=True)) == [Entry.REPORTED]
    with pytest.raises(PermissionDenied):
        services.resolve(incident, by=other_city_user, resolution="越权", version=1)
    assert fresh(incident).status == Status.OPEN


def test_e8_a_resolved_incident_cannot_be_resolved_again(client, report, point_user, county_user):
    incident = report(point_user)
    services.resolve(incident, by=point_user, resolution="已恢复", version=1)
    client.force_login(county_user)
    response = act(client, "resolve", incident, "我也解决了", version=1)
    assert response.status_code == 409
    assert fresh(incident).resolved_by == point_user
    assert "我也解决了" in response.text
    with pytest.raises(IncidentRefused) as refused:
        services.resolve(incident, by=county_user, resolution="再次", version=2)
    assert refused.value.code == "resolved"
    assert AuditEvent.objects.filter(action=Action.INCIDENT_RESOLVED).count() == 1


def test_e8_an_open_incident_cannot_be_reopened(report, point_user):
    incident = report(point_user)
    with pytest.raises(IncidentRefused) as refused:
        services.reopen(incident, by=point_user, reason="重开", version=1)
    assert refused.value.code == "open"


# ── a page out of date ──────────────────────────────────────────────────────────────────


def test_e8_an_action_from_a_stale_page_is_refused_and_the_text_kept(
    client, report, point_user, county_user, city_user
):
    incident = report(point_user)
    client.force_login(city_user)
    shown = client.get(url("detail", incident)).context["incident"].version  # the city reads
    services.escalate(incident, by=county_user, note="请市里处理", version=1)  # meanwhile
    response = act(client, "escalate", incident, "请省院处理", version=shown)
    assert response.status_code == 409
    assert response.context["forms"]["escalate"]["text"].value() == "请省院处理"
    assert fresh(incident).current_level == Level.CITY  # the county's pass up stands
    # The form now carries the version shown, so a second try after reading goes through.
    assert response.context["forms"]["escalate"]["version"].value() == "2"
    assert act(client, "escalate", incident, "请省院处理", version=2).status_code == 302
    assert fresh(incident).current_level == Level.PROVINCE


def test_e8_empty_texts_are_refused_in_chinese(client, report, point_user):
    incident = report(point_user)
    client.force_login(point_user)
    for name in ("comment", "escalate", "resolve"):
        response = act(client, name, incident, "  ")
        assert response.status_code == 400
        assert "这个字段是必填项。" in response.text
    assert fresh(incident).version == 1 and fresh(incident).entries.count() == 1
    with pytest.raises(IncidentRefused) as refused:
        services.resolve(incident, by=point_user, resolution="\u200b", version=1)
    assert refused.value.message_dict["text"] == [gettext("Say how it was resolved.")]


def test_e8_guidance_from_the_plan_is_shown_and_the_province_may_extend(
    client, report, point_user, province_user
):
    incident = report(point_user, kind="disaster", description="特大洪灾，考生无法到点")
    client.force_login(point_user)
    page = client.get(url("detail", incident)).text
    assert 'data-testid="guidance"' in page
    assert gettext("In severe cases the province extends the deadline.") in page
    assert reverse("seasons:extensions") not in page
    client.force_login(province_user)
    assert reverse("seasons:extensions") in client.get(url("detail", incident)).text


def test_e8_actions_need_a_post(client, report, point_user):
    incident = report(point_user)
    client.force_login(point_user)
    assert client.get(url("resolve", incident)).status_code == 405
