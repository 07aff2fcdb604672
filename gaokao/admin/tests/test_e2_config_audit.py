"""Issue 19: configuration changed in /admin/ goes into the audit chain as a diff with who,
when and why; a change without a reason is refused (docs/requirements.md, E2)."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gaokao.audit.models import Action, AuditEvent
from gaokao.audit.verify import chain_problems
from gaokao.codes.models import Code, Table
from gaokao.privacy.masking import mask_id
from gaokao.professional.models import Category
from gaokao.regions.models import Region
from gaokao.seasons.models import Extension, Phase
from gaokao.testing.factories import resident_id, staff_for

REASON = "湘教考信字〔2019〕4号 更正"


class ChangeForm(HTMLParser):
    """The fields of the admin's change form as a browser would post them."""

    def __init__(self, html: str):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.inside = False
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = (a.get("id") or "").endswith("_form") and a.get("method") == "post"
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind == "submit" or (kind == "checkbox" and "checked" not in a):
                return
            self.data.setdefault(name, []).append(
                a.get("value", "on" if kind == "checkbox" else "")
            )
        elif tag == "select" and name:
            self.select, self.options = name, []
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name] = [""]

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea] = [self.data[self.textarea][0] + data]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            chosen = [v for v, selected in self.options if selected]
            if not chosen and self.options:
                chosen = [self.options[0][0]]
            self.data[self.select] = chosen
            self.select = None
        elif tag == "textarea":
            self.textarea = None


@pytest.fixture
def admin_client(county):
    province = staff_for(county.parent.parent, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(province)
    client.user = province
    return client


def change(client, model: str, pk, reason: str | None = REASON, **changes):
    """GET the admin's change page of `model` `pk`, change the fields, post it."""
    url = reverse(f"admin:{model}_change", args=[pk])
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = ChangeForm(page.content.decode()).data
    assert "change_reason" in data, "the change form asks for a reason"
    data["change_reason"] = [reason or ""]
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = [value]
    data["_save"] = ["Save"]
    return client.post(url, data)


def events(action=Action.CONFIG_CHANGED):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def assert_audited(event, client, target, diff: dict):
    assert event.actor == client.user
    assert event.target_type == target._meta.label_lower
    assert event.target_id == str(target.pk)
    assert event.detail["reason"] == REASON
    assert event.detail["model"] == target._meta.label_lower
    for field, before_after in diff.items():
        assert event.detail["changes"][field] == before_after
    assert not chain_problems({event.chain}).get(event.chain)  # in the hash chain


def test_e2_code_change_is_audited_with_its_diff_and_reason(admin_client, codes):
    code = Code.objects.get(table=Table.ETHNICITY, code="01")
    answer = change(admin_client, "codes_code", code.pk, name="汉族（更正）")
    assert answer.status_code == 302
    code.refresh_from_db()
    assert code.name == "汉族（更正）"
    (event,) = events()
    assert_audited(event, admin_client, code, {"name": ["汉族", "汉族（更正）"]})
    assert set(event.detail["changes"]) == {"name"}


def test_e2_a_change_without_a_reason_is_refused(admin_client, codes):
    code = Code.objects.get(table=Table.ETHNICITY, code="01")
    answer = change(admin_client, "codes_code", code.pk, reason="", name="改名")
    assert answer.status_code == 200  # the form again, with the error
    assert answer.context["adminform"].form.errors["change_reason"]
    code.refresh_from_db()
    assert code.name == "汉族"
    assert not AuditEvent.objects.filter(action__startswith="config.").exists()


def test_e2_phase_dates_changed_on_the_season_page_are_audited(admin_client, season):
    phase = season.phases.get()
    closes = phase.ends_at
    later = timezone.localtime(closes) + dt.timedelta(days=2)
    answer = change(
        admin_client,
        "seasons_season",
        season.pk,
        **{"phases-0-ends_at_0": later.date().isoformat(), "phases-0-ends_at_1": "18:00:00"},
    )
    assert answer.status_code == 302, answer.context and answer.context["errors"]
    phase.refresh_from_db()
    assert timezone.localtime(phase.ends_at).date() == later.date()
    (event,) = events()
    assert event.target_type == "seasons.phase"
    assert event.detail["reason"] == REASON
    before, after = event.detail["changes"]["ends_at"]
    assert before == timezone.localtime(closes).isoformat()
    assert after.startswith(f"{later.date().isoformat()}T18:00:00")


def test_e2_season_change_without_a_reason_changes_no_phase(admin_client, season):
    phase = season.phases.get()
    answer = change(
        admin_client, "seasons_season", season.pk, reason="", **{"phases-0-ends_at_1": "18:00:00"}
    )
    assert answer.status_code == 200
    assert Phase.objects.get(pk=phase.pk).ends_at == phase.ends_at
    assert not AuditEvent.objects.filter(action__startswith="config.").exists()


def test_e2_extensions_cannot_be_changed_in_the_admin(admin_client, season, county):
    """Extensions are granted on the office web's page (audited there): the admin only
    shows them."""
    phase = season.phases.get()
    extension = Extension.objects.create(
        phase=phase, region=county, ends_at=phase.ends_at + dt.timedelta(days=1), reason="停电"
    )
    url = reverse("admin:seasons_extension_change", args=[extension.pk])
    answer = admin_client.post(
        url, {"reason": "改", "change_reason": REASON, "ends_at_0": "2030-01-01"}
    )
    assert answer.status_code == 403
    assert Extension.objects.get(pk=extension.pk).reason == "停电"
    add = admin_client.post(reverse("admin:seasons_extension_add"), {"reason": "x"})
    assert add.status_code == 403


def test_e2_category_fee_change_is_audited(admin_client, season):
    category = Category.objects.create(
        season=season, code="MS", name="美术", kind="art", fee_fen=0, tracks=["3", "7"]
    )
    answer = change(admin_client, "professional_category", category.pk, fee_fen="15000")
    assert answer.status_code == 302, answer.context and answer.context["errors"]
    (event,) = events()
    assert_audited(event, admin_client, category, {"fee_fen": [0, 15000]})


def test_e2_region_change_is_audited(admin_client, county):
    answer = change(admin_client, "regions_region", county.pk, registration_code="9999")
    assert answer.status_code == 302, answer.context and answer.context["errors"]
    (event,) = events()
    assert_audited(
        event, admin_client, county, {"registration_code": [county.registration_code, "9999"]}
    )


def test_e2_point_change_is_audited(admin_client, point):
    answer = change(admin_client, "regions_registrationpoint", point.pk, name="新的报名点")
    assert answer.status_code == 302, answer.context and answer.context["errors"]
    (event,) = events()
    assert_audited(event, admin_client, point, {"name": [point.name, "新的报名点"]})


def test_e2_staff_role_and_unit_change_is_audited(admin_client, county, point):
    user = staff_for(point)
    answer = change(
        admin_client,
        "accounts_staffuser",
        user.pk,
        role="county",
        region=str(county.pk),
        point="",
    )
    assert answer.status_code == 302, answer.context and answer.context["errors"]
    user.refresh_from_db()
    assert (user.role, user.region_id, user.point_id) == ("county", county.pk, None)
    (event,) = events()
    assert_audited(
        event,
        admin_client,
        user,
        {"role": ["point", "county"], "region": [None, str(county)], "point": [str(point), None]},
    )
    assert "password" not in event.detail["changes"]


def test_e2_deletion_asks_for_a_reason_and_is_audited(admin_client, codes):
    code = Code.objects.get(table=Table.ETHNICITY, code="98")
    url = reverse("admin:codes_code_delete", args=[code.pk])
    page = admin_client.get(url)
    assert 'name="change_reason"' in page.content.decode()
    refused = admin_client.post(url, {"post": "yes"})
    assert refused.status_code == 302 and refused["Location"] == url
    assert Code.objects.filter(pk=code.pk).exists()
    done = admin_client.post(url, {"post": "yes", "change_reason": REASON})
    assert done.status_code == 302
    assert not Code.objects.filter(pk=code.pk).exists()
    (event,) = events(Action.CONFIG_DELETED)
    assert event.detail["reason"] == REASON
    assert event.detail["changes"]["code"] == ["98", None]


def test_e2_bulk_deletion_asks_for_a_reason_and_is_audited(admin_client, codes):
    doomed = list(Code.objects.filter(table=Table.ETHNICITY, code__in=["97", "98"]))
    url = reverse("admin:codes_code_changelist")
    selected = {"action": "delete_selected", "_selected_action": [c.pk for c in doomed]}
    confirm = admin_client.post(url, selected)
    assert 'name="change_reason"' in confirm.content.decode()
    again = admin_client.post(url, {**selected, "post": "yes"})
    assert 'name="change_reason"' in again.content.decode()  # the page again, nothing gone
    assert Code.objects.filter(pk__in=[c.pk for c in doomed]).count() == 2
    admin_client.post(url, {**selected, "post": "yes", "change_reason": REASON})
    assert not Code.objects.filter(pk__in=[c.pk for c in doomed]).exists()
    deleted = events(Action.CONFIG_DELETED)
    assert sorted(e.target_id for e in deleted) == sorted(str(c.pk) for c in doomed)
    assert {e.detail["reason"] for e in deleted} == {REASON}


def test_e2_the_audit_trail_page_lists_and_filters_admin_changes(admin_client, codes):
    code = Code.objects.get(table=Table.ETHNICITY, code="01")
    change(admin_client, "codes_code", code.pk, name="汉族（更正）")
    page = admin_client.get(reverse("audit:events"), {"action": Action.CONFIG_CHANGED})
    assert page.status_code == 200
    shown = list(page.context["page"])
    assert [e.action for e in shown] == [Action.CONFIG_CHANGED]
    assert str(code) in page.content.decode() or "汉族" in page.content.decode()


def test_e2_admin_changes_belong_to_the_province(admin_client, codes):
    code = Code.objects.get(table=Table.ETHNICITY, code="01")
    change(admin_client, "codes_code", code.pk, name="汉族（更正）")
    (event,) = events()
    assert event.region == Region.objects.get(level=Region.Level.PROVINCE)


AUDITED = [
    "codes_code",
    "codes_registrationfee",
    "professional_category",
    "regions_region",
    "regions_registrationpoint",
    "seasons_season",
    "accounts_staffuser",
]


@pytest.mark.parametrize("model", AUDITED)
def test_e2_every_audited_admin_asks_for_a_reason_when_adding(admin_client, model):
    page = admin_client.get(reverse(f"admin:{model}_add"))
    assert page.status_code == 200
    assert 'name="change_reason"' in page.content.decode()


def test_e2_a_season_added_with_its_phases_is_audited(admin_client, county):
    url = reverse("admin:seasons_season_add")
    data = ChangeForm(admin_client.get(url).content.decode()).data
    data.update(
        {
            "year": ["2021"],
            "province": [str(county.parent.parent.pk)],
            "name": ["湖南省2021年网上报名"],
            "phases-TOTAL_FORMS": ["1"],
            "phases-0-kind": ["main"],
            "phases-0-starts_at_0": ["2020-10-28"],
            "phases-0-starts_at_1": ["00:00:00"],
            "phases-0-ends_at_0": ["2020-11-08"],
            "phases-0-ends_at_1": ["23:59:59"],
            "change_reason": [REASON],
            "_save": ["Save"],
        }
    )
    answer = admin_client.post(url, data)
    assert answer.status_code == 302, answer.context and answer.context["errors"]
    added = events(Action.CONFIG_ADDED)
    assert [e.target_type for e in added] == ["seasons.season", "seasons.phase"]
    assert added[0].detail["changes"]["name"] == [None, "湖南省2021年网上报名"]
    assert added[1].detail["changes"]["kind"] == [None, "main"]
    assert {e.detail["reason"] for e in added} == {REASON}


def test_e2_a_staff_id_number_correction_is_audited_masked(admin_client, county):
    user = staff_for(county)
    old_number = user.id_number
    new_number = resident_id(777)
    answer = change(admin_client, "accounts_staffuser", user.pk, new_id_number=new_number)
    assert answer.status_code == 302, answer.context and answer.context["errors"]
    (event,) = events()
    before, after = event.detail["changes"]["id_number"]
    assert (before, after) == (mask_id(old_number), mask_id(new_number))
    text = str(event.detail)
    assert new_number not in text and (not old_number or old_number not in text)
    assert not {"password", "totp_secret"} & set(event.detail["changes"])
