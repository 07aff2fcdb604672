"""Issue 19, item 5: regions and registration points each have a screen for the level that
owns them — the province its cities and counties, a county its points (a city reads
them) — and every change is in the audit chain as a diff with who and why."""

import pytest
from django.urls import reverse
from django.utils import translation

from gaokao.accounts import services as accounts
from gaokao.accounts import units
from gaokao.accounts.models import StaffUser
from gaokao.audit.config import ReasonRequired
from gaokao.audit.models import Action, AuditEvent
from gaokao.regions import services as rules
from gaokao.regions.models import Region, RegistrationPoint
from gaokao.testing.factories import CountyFactory, PointFactory, ProvinceFactory, staff_for

pytestmark = pytest.mark.django_db


def used_by(model, n: int) -> str:
    """How a refusal names `n` rows of `model`, in the interface's language."""
    with translation.override("zh-hans"):
        return f"{model._meta.verbose_name_plural} ({n})"


def last_config_event(action=Action.CONFIG_CHANGED) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


# ── the province's cities and counties ──────────────────────────────────────────────────


def test_s2_issue19_province_adds_a_county_with_a_diff_who_and_reason(
    client, province_user, county
):
    city = county.parent
    client.force_login(province_user)
    data = {"parent": city.pk, "code": f"{city.code[:4]}97", "name": "新设县", "is_active": "on"}
    response = client.post(reverse("regions:new", args=["county"]), data | {"reason": "区划调整"})
    assert response.url == reverse("regions:index")
    new = Region.objects.get(code=data["code"])
    assert (new.level, new.parent, new.registration_code) == ("county", city, data["code"][2:])
    event = last_config_event(Action.CONFIG_ADDED)
    assert (event.actor, event.detail["reason"]) == (province_user, "区划调整")
    assert event.detail["model"] == "regions.region"
    assert event.detail["changes"]["name"] == [None, "新设县"]


def test_s2_issue19_province_renames_a_city_and_the_diff_is_recorded(client, province_user, county):
    city = county.parent
    client.force_login(province_user)
    form = client.get(reverse("regions:edit", args=[city.code])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "parent"}
    data |= {"name": "更名市", "is_active": "on", "reason": "撤县设市"}
    assert client.post(reverse("regions:edit", args=[city.code]), data).status_code == 302
    event = last_config_event()
    assert event.detail["changes"] == {"name": [city.name, "更名市"]}
    assert (event.actor, event.detail["reason"], event.target_id) == (
        province_user,
        "撤县设市",
        str(city.pk),
    )


def test_s2_issue19_a_blank_reason_is_refused_and_nothing_is_saved(client, province_user, county):
    client.force_login(province_user)
    data = {"code": county.code, "name": "改名县", "parent": county.parent_id, "reason": "  "}
    response = client.post(reverse("regions:edit", args=[county.code]), data)
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert 'value="改名县"' in response.text  # what was typed is shown again
    county.refresh_from_db()
    assert county.name != "改名县"
    county.name = "改名县"
    with pytest.raises(ReasonRequired):
        units.save_region(county, by=province_user, reason="")
    assert not AuditEvent.objects.filter(action=Action.CONFIG_CHANGED).exists()


def test_s2_issue19_invalid_region_input_is_shown_again(client, province_user, county):
    client.force_login(province_user)
    data = {"parent": county.parent_id, "code": "43AB", "name": "错码县", "reason": "新设"}
    response = client.post(reverse("regions:new", args=["county"]), data)
    assert response.status_code == 200 and "code" in response.context["form"].errors
    assert 'value="43AB"' in response.text and 'value="错码县"' in response.text
    assert not Region.objects.filter(name="错码县").exists()


def test_s2_issue19_only_the_province_keeps_regions(client, county, city_user, county_user):
    for user in (city_user, county_user):
        client.force_login(user)
        for url in (
            reverse("regions:new", args=["county"]),
            reverse("regions:edit", args=[county.code]),
            reverse("regions:delete", args=[county.code]),
        ):
            assert client.get(url).status_code == 403
            assert client.post(url, {"name": "x", "reason": "y"}).status_code == 403
    county.refresh_from_db()
    assert county.name != "x"


def test_s2_issue19_another_provinces_user_gets_404(client, county):
    other = staff_for(ProvinceFactory(code="440000", name="广东省"))
    client.force_login(other)
    for url in (
        reverse("regions:edit", args=[county.code]),
        reverse("regions:delete", args=[county.code]),
        reverse("regions:points", args=[county.code]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": "y"}).status_code == 404
    assert Region.objects.filter(pk=county.pk).exists()
    with pytest.raises(rules.UnitRefused):
        units.save_region(county, by=other, reason="越权")


def test_s2_issue19_a_region_in_use_is_not_deleted_and_can_be_closed(
    client, province_user, county, point
):
    staff_for(county)
    client.force_login(province_user)
    url = reverse("regions:delete", args=[county.code])
    response = client.post(url, {"reason": "撤销"})
    assert response.status_code == 200
    refusal = " ".join(response.context["form"].non_field_errors())
    assert used_by(StaffUser, 1) in refusal and used_by(RegistrationPoint, 1) in refusal
    assert Region.objects.filter(pk=county.pk).exists()
    county.is_active = False
    changes = units.save_region(county, by=province_user, reason="撤销")
    assert changes == {"is_active": [True, False]}
    # A closed county's points get no new accounts.
    assert accounts.manageable_units(staff_for(county.parent)) == []


def test_s2_issue19_an_unused_county_is_deleted_with_what_it_held(client, province_user, county):
    mistake = CountyFactory(parent=county.parent, name="误建县")
    client.force_login(province_user)
    response = client.post(reverse("regions:delete", args=[mistake.code]), {"reason": "误建"})
    assert response.url == reverse("regions:index")
    assert not Region.objects.filter(pk=mistake.pk).exists()
    event = last_config_event(Action.CONFIG_DELETED)
    assert event.detail["changes"]["name"] == ["误建县", None]
    assert event.detail["reason"] == "误建"


def test_s2_issue19_the_city_county_code_stays_once_numbers_exist(province_user, number_range):
    county = number_range.point.county
    county.registration_code = "9999"
    with pytest.raises(rules.UnitRefused) as refused:
        units.save_region(county, by=province_user, reason="改码")
    assert "registration_code" in refused.value.message_dict
    county.refresh_from_db()
    assert county.registration_code != "9999"


# ── a county's registration points ─────────────────────────────────────────────────────


def test_s2_issue19_county_adds_a_point_with_a_diff_who_and_reason(client, county_user, county):
    client.force_login(county_user)
    page = client.get(reverse("regions:point_new"))
    code = page.context["form"].initial["code"]
    assert code.startswith(county.registration_code)
    data = {"code": code, "name": "一中报名点", "is_active": "on", "reason": "新设"}
    response = client.post(reverse("regions:point_new"), data)
    assert response.url == reverse("regions:points", args=[county.code])
    point = RegistrationPoint.objects.get(code=code)
    assert point.county == county
    event = last_config_event(Action.CONFIG_ADDED)
    assert (event.actor, event.detail["reason"], event.detail["model"]) == (
        county_user,
        "新设",
        "regions.registrationpoint",
    )
    assert event.detail["changes"]["code"] == [None, code]


def test_s2_issue19_a_point_code_outside_the_countys_prefix_is_shown_again(
    client, county_user, county
):
    client.force_login(county_user)
    data = {"code": "9999001", "name": "外码报名点", "is_active": "on", "reason": "新设"}
    response = client.post(reverse("regions:point_new"), data)
    assert response.status_code == 200
    assert county.registration_code in " ".join(response.context["form"].errors["code"])
    assert 'value="外码报名点"' in response.text
    assert not RegistrationPoint.objects.filter(name="外码报名点").exists()


def test_s2_issue19_county_closes_a_point_with_a_reason(client, county_user, point):
    client.force_login(county_user)
    url = reverse("regions:point_edit", args=[point.code])
    blank = client.post(url, {"code": point.code, "name": point.name, "reason": ""})
    assert blank.status_code == 200 and "reason" in blank.context["form"].errors
    point.refresh_from_db()
    assert point.is_active
    client.post(url, {"code": point.code, "name": point.name, "reason": "学校撤并"})
    point.refresh_from_db()
    assert not point.is_active
    event = last_config_event()
    assert event.detail["changes"] == {"is_active": [True, False]}
    assert (event.actor, event.detail["reason"]) == (county_user, "学校撤并")


def test_s2_issue19_a_point_in_use_is_not_deleted(client, county_user, point):
    staff_for(point)
    client.force_login(county_user)
    url = reverse("regions:point_delete", args=[point.code])
    assert used_by(StaffUser, 1).split(" (")[0] in client.get(url).text  # said before confirming
    response = client.post(url, {"reason": "撤销"})
    assert used_by(StaffUser, 1) in " ".join(response.context["form"].non_field_errors())
    assert RegistrationPoint.objects.filter(pk=point.pk).exists()
    assert not AuditEvent.objects.filter(action=Action.CONFIG_DELETED).exists()


def test_s2_issue19_an_unused_point_is_deleted_with_an_audit(client, county_user, county):
    mistake = PointFactory(county=county)
    client.force_login(county_user)
    client.post(reverse("regions:point_delete", args=[mistake.code]), {"reason": "重复"})
    assert not RegistrationPoint.objects.filter(pk=mistake.pk).exists()
    assert last_config_event(Action.CONFIG_DELETED).detail["reason"] == "重复"


def test_s2_issue19_a_points_code_stays_once_it_has_numbers(county_user, number_range):
    point = number_range.point
    point.code = point.code[:4] + "999"
    with pytest.raises(rules.UnitRefused) as refused:
        units.save_point(point, by=county_user, reason="改码")
    assert "code" in refused.value.message_dict


def test_s2_issue19_another_countys_user_gets_404_for_this_countys_points(
    client, other_county_user, point
):
    client.force_login(other_county_user)
    for url in (
        reverse("regions:point_edit", args=[point.code]),
        reverse("regions:point_delete", args=[point.code]),
        reverse("regions:points", args=[point.county.code]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "x", "code": point.code, "reason": "y"}).status_code == 404
    point.refresh_from_db()
    assert point.name != "x"
    point.name = "x"
    with pytest.raises(rules.UnitRefused):
        units.save_point(point, by=other_county_user, reason="越权")


def test_s2_issue19_a_city_reads_its_counties_points_and_edits_none(
    client, city_user, other_city_user, point
):
    client.force_login(city_user)
    page = client.get(reverse("regions:points", args=[point.county.code]))
    assert page.status_code == 200 and point in page.context["points"]
    assert not page.context["manages"]
    assert reverse("regions:point_edit", args=[point.code]) not in page.text
    assert client.get(reverse("regions:point_edit", args=[point.code])).status_code == 403
    assert client.get(reverse("regions:point_new")).status_code == 403
    point.name = "市改"
    with pytest.raises(rules.UnitRefused):
        units.save_point(point, by=city_user, reason="越级")
    client.force_login(other_city_user)
    assert client.get(reverse("regions:points", args=[point.county.code])).status_code == 404


def test_s2_issue19_point_staff_have_no_regions_screen(client, point_user, point):
    client.force_login(point_user)
    for url in (
        reverse("regions:index"),
        reverse("regions:points", args=[point.county.code]),
        reverse("regions:point_edit", args=[point.code]),
    ):
        assert client.get(url).status_code == 403
