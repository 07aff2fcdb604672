"""Issue 19, item 5 (E2): the province edits the code tables on the office web's 代码表
pages: adds a row, renames it, retires and restores it, and deletes only a row no record
holds. Every change is an audit event with the diff, who and why; a blank reason or a
refused change stores nothing and shows the form again as typed; other levels and other
provinces are refused."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.own_data import CODE_FIELDS
from gaokao.codes import services
from gaokao.codes.models import Code, Table
from gaokao.testing.factories import CandidateFactory, ProvinceFactory, staff_for

pytestmark = pytest.mark.django_db

TABLES = reverse("codes:tables")
ETHNICITY = reverse("codes:table", args=[Table.ETHNICITY.value])
REASON = "教育部 2020 年代码调整"


@pytest.fixture
def row(codes):
    return Code.objects.get(table=Table.ETHNICITY, code="97")


def row_url(code: Code) -> str:
    return reverse("codes:row", args=[code.table, code.pk])


def events(action):
    return AuditEvent.objects.filter(action=action, target_type="codes.code")


def test_e3_issue19_the_province_adds_a_code_audited_with_who_and_why(
    client, season, province_user
):
    client.force_login(province_user)
    assert client.get(TABLES).status_code == 200
    shown = client.get(ETHNICITY)
    assert shown.status_code == 200 and "土家族" in shown.text
    data = {"code": "99", "name": "待定", "sort_order": "", "reason": REASON}
    assert client.post(ETHNICITY, data).status_code == 302
    added = Code.objects.get(table=Table.ETHNICITY, code="99")
    assert added.name == "待定" and added.is_active
    (event,) = events(Action.CONFIG_ADDED)
    assert event.actor == province_user
    assert event.detail["reason"] == REASON
    assert event.detail["changes"]["code"] == [None, "99"]
    assert event.detail["changes"]["name"] == [None, "待定"]
    # the new row is offered on the forms at once
    assert ("99", "待定") in Code.objects.choices(Table.ETHNICITY)
    # and the event is in the office's audit trail
    trail = client.get(reverse("audit:events"), {"action": Action.CONFIG_ADDED})
    assert event in trail.context["page"].object_list


def test_e3_issue19_renaming_a_code_records_the_diff(client, season, province_user, row):
    client.force_login(province_user)
    data = {"name": "其他民族", "sort_order": row.sort_order, "reason": REASON}
    assert client.post(row_url(row), data).status_code == 302
    row.refresh_from_db()
    assert row.name == "其他民族"
    (event,) = events(Action.CONFIG_CHANGED)
    assert event.detail["changes"] == {"name": ["其他", "其他民族"]}
    assert event.detail["reason"] == REASON and event.actor == province_user
    assert event.target_id == str(row.pk)
    # unchanged: nothing recorded
    assert client.post(row_url(row), data).status_code == 302
    assert events(Action.CONFIG_CHANGED).count() == 1


def test_e3_issue19_retiring_and_restoring_a_code(client, season, province_user, row):
    client.force_login(province_user)
    data = {"name": row.name, "sort_order": row.sort_order, "reason": REASON}
    assert client.post(row_url(row), {**data, "action": "retire"}).status_code == 302
    row.refresh_from_db()
    assert not row.is_active
    assert ("97", row.name) not in Code.objects.choices(Table.ETHNICITY)
    assert client.post(row_url(row), {**data, "action": "restore"}).status_code == 302
    row.refresh_from_db()
    assert row.is_active
    changes = [e.detail["changes"] for e in events(Action.CONFIG_CHANGED).order_by("pk")]
    assert changes == [{"is_active": [True, False]}, {"is_active": [False, True]}]


def test_e3_issue19_a_code_records_hold_is_not_deleted_and_says_how_many(
    client, season, point, province_user, row, english
):
    CandidateFactory.create_batch(2, season=season, point=point, ethnicity="97")
    client.force_login(province_user)
    data = {"name": row.name, "sort_order": row.sort_order, "reason": REASON}
    answer = client.post(row_url(row), {**data, "action": "delete"})
    assert answer.status_code == 200
    assert "2 records hold code 97" in answer.text
    assert Code.objects.filter(pk=row.pk).exists()
    assert not events(Action.CONFIG_DELETED).exists()
    # a row no record holds can go, audited
    unused = Code.objects.get(table=Table.ETHNICITY, code="56")
    answer = client.post(row_url(unused), {**data, "name": unused.name, "action": "delete"})
    assert answer.status_code == 302
    assert not Code.objects.filter(pk=unused.pk).exists()
    (event,) = events(Action.CONFIG_DELETED)
    assert event.detail["changes"]["code"] == ["56", None]
    assert event.detail["reason"] == REASON


def test_e3_issue19_a_blank_reason_changes_no_code_and_keeps_the_typing(
    client, season, province_user, row
):
    client.force_login(province_user)
    answer = client.post(row_url(row), {"name": "改名", "sort_order": "5", "reason": "  "})
    assert answer.status_code == 200
    assert answer.context["form"].errors["reason"]
    assert 'value="改名"' in answer.text
    answer = client.post(ETHNICITY, {"code": "99", "name": "待定", "reason": ""})
    assert answer.status_code == 200 and 'value="待定"' in answer.text
    row.refresh_from_db()
    assert row.name == "其他"
    assert not Code.objects.filter(table=Table.ETHNICITY, code="99").exists()
    assert not AuditEvent.objects.filter(target_type="codes.code").exists()


def test_e3_issue19_a_code_already_in_the_table_is_refused_as_typed(
    client, season, province_user, english
):
    client.force_login(province_user)
    answer = client.post(ETHNICITY, {"code": "01", "name": "又一个汉族", "reason": REASON})
    assert answer.status_code == 200
    assert "The table already has code 01" in answer.text
    assert 'value="又一个汉族"' in answer.text
    assert Code.objects.filter(table=Table.ETHNICITY, code="01").count() == 1
    assert not AuditEvent.objects.filter(target_type="codes.code").exists()


def test_e3_issue19_code_services_refuse_other_users_and_blank_reasons(
    season, province_user, county_user, row
):
    with pytest.raises(PermissionDenied):
        services.set_in_use(row, False, reason=REASON, by=county_user)
    with pytest.raises(services.CodeRefused) as refused:
        services.change_code(row, name="x", sort_order=1, reason=" ", by=province_user)
    assert refused.value.message_dict["reason"]
    row.refresh_from_db()
    assert row.is_active and row.name == "其他"


@pytest.mark.parametrize("who", ["city_user", "county_user", "point_user"])
def test_e3_issue19_other_levels_are_refused_the_code_tables(client, request, season, row, who):
    client.force_login(request.getfixturevalue(who))
    for url in (TABLES, ETHNICITY, row_url(row)):
        assert client.get(url).status_code == 403, url
    data = {"name": "改名", "sort_order": "1", "reason": REASON, "action": "retire"}
    assert client.post(row_url(row), data).status_code == 403
    assert client.post(ETHNICITY, {"code": "99", "name": "x", "reason": REASON}).status_code == 403
    row.refresh_from_db()
    assert row.is_active and row.name == "其他"
    assert not AuditEvent.objects.filter(target_type="codes.code").exists()


def test_e3_issue19_another_provinces_authority_is_refused_the_code_tables(client, season, row):
    client.force_login(staff_for(ProvinceFactory(code="440000", name="广东省")))
    assert client.get(TABLES).status_code == 403
    data = {"name": "改名", "sort_order": "1", "reason": REASON, "action": "retire"}
    assert client.post(row_url(row), data).status_code == 403
    row.refresh_from_db()
    assert row.is_active


def test_e3_issue19_the_code_tables_are_in_the_provinces_navigation(client, season, province_user):
    client.force_login(province_user)
    assert f'href="{TABLES}"' in client.get(reverse("office:home")).text


def test_e3_issue19_every_coded_candidate_field_is_counted_for_its_table():
    counted = {(table, field) for table, uses in services.USED_IN.items() for _m, field in uses}
    for field, table in CODE_FIELDS.items():
        assert (table, field) in counted
    assert set(services.USED_IN) == set(Table.values)
