"""E3, E6, E7: the province grants one phase a later close to one or more regions, with a
reason; every deadline follows (here: the candidate's save in the portal); granting again
replaces the close; withdrawal asks first; every step is audited; only the province."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates import own_data
from gaokao.candidates.errors import DataRefused
from gaokao.seasons import services
from gaokao.seasons.models import Extension, PhaseKind, day_end
from gaokao.testing.factories import (
    CandidateFactory,
    CountyFactory,
    PointFactory,
    ProvinceFactory,
    SeasonFactory,
    add_phase,
    aware,
    extend,
    staff_for,
)
from gaokao.testing.steps import save_candidate_data

pytestmark = pytest.mark.django_db

PAGE = reverse("seasons:extensions")
CONFIRM = "confirm-secret-7"
AFTER_CLOSE = aware(2019, 11, 9, 9, 0)  # the main window closed at the end of 2019-11-08
REQUIRED = "这个字段是必填项。"  # Django's own "This field is required." in Chinese


@pytest.fixture
def province(county):
    return county.parent.parent


@pytest.fixture
def season(province):
    season = SeasonFactory(province=province, is_current=True)
    add_phase(season, PhaseKind.MAIN, opens=dt.date(2019, 10, 28), closes=dt.date(2019, 11, 8))
    add_phase(season, PhaseKind.CITY_ALL, opens=dt.date(2019, 10, 28), closes=dt.date(2019, 12, 10))
    return season


@pytest.fixture
def main(season):
    return season.phase(PhaseKind.MAIN)


@pytest.fixture
def sibling_county(county):
    return CountyFactory(parent=county.parent)


@pytest.fixture
def after_close():
    with time_machine.travel(AFTER_CLOSE, tick=False) as traveller:
        yield traveller


def candidate_at(season, point):
    return CandidateFactory(
        season=season, point=point, confirmation_password=make_password(CONFIRM)
    )


def save_in_portal(candidate, mobile="13812345678"):
    """The candidate's save through the portal's one entry point (the rule it follows is
    `season.is_open`)."""
    data = {name: "" for name in own_data.DATA_FIELDS}
    data["mobile"] = mobile
    candidate.refresh_from_db()
    return save_candidate_data(
        candidate,
        version=candidate.version,
        data=data,
        resume=[],
        family=[],
        confirmation_password=CONFIRM,
    )


def grant(client, phase, regions, closes_on="2019-11-12", reason="暴雨致停电", **extra):
    data = {
        "phase": phase.pk,
        "regions": [r.pk for r in regions],
        "closes_on": closes_on,
        "reason": reason,
        **extra,
    }
    return client.post(PAGE, data)


def field_errors(response, field):
    return response.context["form"].errors.get(field, [])


# ── the rule follows: the portal opens for the extended county only ─────────────────────


def test_e6_a_county_extension_opens_the_portal_save_there_and_nowhere_else(
    client,
    codes,
    season,
    main,
    county,
    point,
    sibling_county,
    other_point,
    province_user,
    after_close,
):
    here = candidate_at(season, point)
    sibling = candidate_at(season, PointFactory(county=sibling_county))
    elsewhere = candidate_at(season, other_point)
    with pytest.raises(DataRefused) as refused:
        save_in_portal(here)
    assert refused.value.code == "window_closed"

    client.force_login(province_user)
    assert grant(client, main, [county]).status_code == 302

    assert save_in_portal(here).mobile == "13812345678"
    for candidate in (sibling, elsewhere):
        with pytest.raises(DataRefused) as refused:
            save_in_portal(candidate)
        assert refused.value.code == "window_closed"
    assert season.is_open(PhaseKind.MAIN, county)
    assert not season.is_open(PhaseKind.MAIN, sibling_county)
    assert not season.is_open(PhaseKind.CITY_ALL, county, aware(2019, 12, 11))  # one phase only
    # A date alone means the end of that day; the next second the county is closed again.
    assert main.ends_at_for(county) == day_end(dt.date(2019, 11, 12))
    after_close.move_to(aware(2019, 11, 13, 0, 0, 0))
    with pytest.raises(DataRefused):
        save_in_portal(here, mobile="13900000000")


def test_e3_an_extension_for_a_city_opens_all_its_counties(
    client, season, main, county, sibling_county, other_county, province_user, after_close
):
    client.force_login(province_user)
    assert grant(client, main, [county.parent]).status_code == 302
    assert season.is_open(PhaseKind.MAIN, county)
    assert season.is_open(PhaseKind.MAIN, sibling_county)
    assert not season.is_open(PhaseKind.MAIN, other_county)


def test_e7_a_close_with_a_time_is_kept_to_the_second(
    client, main, county, province_user, after_close
):
    client.force_login(province_user)
    response = grant(client, main, [county], closes_on="2019-11-10", closes_at_time="18:30")
    assert response.status_code == 302
    assert Extension.objects.get().ends_at == aware(2019, 11, 10, 18, 30)


# ── one row per region, audited ─────────────────────────────────────────────────────────


def test_e3_one_row_and_one_audit_event_per_region(
    client, main, county, other_county, province_user, after_close
):
    client.force_login(province_user)
    response = grant(client, main, [county, other_county], reason="  网络攻击，系统暂停两小时 ")
    assert response.status_code == 302
    rows = Extension.objects.order_by("region__code")
    assert [e.region for e in rows] == sorted([county, other_county], key=lambda r: r.code)
    assert {e.reason for e in rows} == {"网络攻击，系统暂停两小时"}
    events = AuditEvent.objects.filter(action=Action.EXTENSION_GRANTED)
    assert events.count() == 2
    for event in events:
        extension = Extension.objects.get(pk=event.detail["extension"])
        assert event.actor == province_user
        assert event.region == extension.region  # the extended region's staff see it too
        assert event.detail["phase"] == PhaseKind.MAIN
        assert event.detail["ends_at"] == day_end(dt.date(2019, 11, 12)).isoformat()
        assert event.detail["reason"] == "网络攻击，系统暂停两小时"
        assert event.detail["replaced"] is None


def test_e3_granting_again_replaces_the_close_and_the_trail_keeps_the_earlier_one(
    client, main, county, province_user, after_close
):
    client.force_login(province_user)
    grant(client, main, [county], closes_on="2019-11-12", reason="停电")
    first = Extension.objects.get()
    after_close.shift(dt.timedelta(hours=2))
    grant(client, main, [county], closes_on="2019-11-15", reason="停电持续")
    extension = Extension.objects.get()  # still one row
    assert extension.pk == first.pk
    assert extension.ends_at == day_end(dt.date(2019, 11, 15))
    assert extension.reason == "停电持续"
    assert extension.created_at == AFTER_CLOSE + dt.timedelta(hours=2)  # when this close was set
    latest = AuditEvent.objects.filter(action=Action.EXTENSION_GRANTED).order_by("-pk")[0]
    assert latest.detail["replaced"] == {
        "ends_at": day_end(dt.date(2019, 11, 12)).isoformat(),
        "reason": "停电",
    }


def test_e3_rows_entered_twice_elsewhere_merge_into_one_on_the_next_grant(
    main, county, province_user, after_close
):
    extend(main, county, dt.date(2019, 11, 10))
    extend(main, county, dt.date(2019, 11, 11))
    services.grant_extension(
        main, [county], day_end(dt.date(2019, 11, 14)), "合并", by=province_user
    )
    assert Extension.objects.get().ends_at == day_end(dt.date(2019, 11, 14))


# ── the page ────────────────────────────────────────────────────────────────────────────


def test_e3_the_page_shows_phases_extensions_reason_when_and_by_whom(
    client, main, county, province_user, after_close
):
    client.force_login(province_user)
    grant(client, main, [county], reason="特大洪灾")
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.text
    assert "2019-11-08 23:59:59" in html  # the phase's own close
    assert "2019-11-12 23:59:59" in html  # the new close
    assert "特大洪灾" in html and county.name in html
    assert "2019-11-09 09:00" in html  # when
    assert province_user.username in html  # by whom
    assert reverse("seasons:withdraw", args=[Extension.objects.get().pk]) in html
    # Every region of the province may be chosen; the province and each city as a whole.
    for region in (county, county.parent, county.parent.parent):
        assert f'value="{region.pk}"' in html


def test_e3_without_a_current_season_the_page_says_so(client, province_user):
    client.force_login(province_user)
    page = client.get(PAGE)
    assert page.status_code == 200 and 'data-testid="no-season"' in page.text


# ── validation: nothing stored, the input kept, messages in Chinese ─────────────────────


def test_e3_the_new_close_must_be_later_than_the_phases_own(
    client, main, county, province_user, after_close
):
    client.force_login(province_user)
    response = grant(client, main, [county], closes_on="2019-11-08", closes_at_time="12:00")
    assert response.status_code == 200
    expected = gettext("The new close must be later than the phase's own close (%(close)s).") % {
        "close": "2019-11-08 23:59:59"
    }
    assert field_errors(response, "closes_on") == [expected]
    assert response.context["form"]["reason"].value() == "暴雨致停电"  # input kept
    assert not Extension.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.EXTENSION_GRANTED).exists()


def test_e3_every_problem_is_shown_at_once(client, main, county, province_user, after_close):
    client.force_login(province_user)
    response = grant(client, main, [county], closes_on="2019-11-01", reason="")
    form = response.context["form"]
    assert form.errors["reason"] == [REQUIRED]
    assert form.errors["closes_on"] == [
        gettext("The new close must be later than the phase's own close (%(close)s).")
        % {"close": "2019-11-08 23:59:59"}
    ]
    assert not Extension.objects.exists()


def test_e3_a_close_already_past_is_refused(client, main, county, province_user):
    with time_machine.travel(aware(2019, 11, 20, 9, 0), tick=False):
        client.force_login(province_user)
        response = grant(client, main, [county], closes_on="2019-11-12")
    assert field_errors(response, "closes_on") == [gettext("The new close is already past.")]
    assert not Extension.objects.exists()


def test_e3_reason_regions_and_date_are_required_in_chinese(
    client, main, county, province_user, after_close
):
    client.force_login(province_user)
    response = client.post(PAGE, {"phase": main.pk, "reason": "  "})
    form = response.context["form"]
    assert form.errors["reason"] == [REQUIRED]
    assert form.errors["regions"] == [REQUIRED]
    assert form.errors["closes_on"] == [REQUIRED]
    assert REQUIRED in response.text
    assert not Extension.objects.exists()


def test_e3_a_region_outside_the_province_is_refused(
    client, main, county, province_user, after_close
):
    foreign_province = ProvinceFactory(code="440000", name="广东省")
    foreign = CountyFactory(parent__parent=foreign_province)
    client.force_login(province_user)
    response = grant(client, main, [county, foreign])
    assert response.status_code == 200 and field_errors(response, "regions")
    assert "选择" in field_errors(response, "regions")[0]  # Django's invalid choice, in Chinese
    assert not Extension.objects.exists()
    # The service refuses it too, whoever calls it.
    with pytest.raises(services.ExtensionRefused) as refused:
        services.grant_extension(
            main, [foreign], day_end(dt.date(2019, 11, 12)), "越界", by=province_user
        )
    assert refused.value.message_dict["regions"] == [
        gettext("An extension can only be granted to regions of this province.")
    ]
    assert not Extension.objects.exists()


def test_e3_a_phase_of_another_season_cannot_be_chosen(
    client, main, county, province_user, after_close
):
    old = SeasonFactory(province=county.parent.parent, is_current=False, year=2019)
    old_main = add_phase(old, opens=dt.date(2018, 10, 28), closes=dt.date(2018, 11, 8))
    client.force_login(province_user)
    response = grant(client, old_main, [county])
    assert field_errors(response, "phase") and not Extension.objects.exists()


# ── withdrawal ──────────────────────────────────────────────────────────────────────────


def test_e3_withdrawal_asks_first_then_closes_the_county_again_and_is_audited(
    client, season, main, county, province_user, after_close
):
    client.force_login(province_user)
    grant(client, main, [county])
    extension = Extension.objects.get()
    url = reverse("seasons:withdraw", args=[extension.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and 'method="post"' in confirm.text
    assert Extension.objects.exists()  # asking changes nothing
    assert client.post(url).status_code == 302
    assert not Extension.objects.exists()
    assert not season.is_open(PhaseKind.MAIN, county)
    event = AuditEvent.objects.get(action=Action.EXTENSION_WITHDRAWN)
    assert event.actor == province_user and event.region == county
    assert event.detail["extension"] == extension.pk
    assert event.detail["ends_at"] == "2019-11-12T23:59:59.999999+08:00"
    # A second withdrawal (a double click) finds nothing and records nothing.
    assert client.post(url).status_code == 404
    assert not services.withdraw_extension(extension, by=province_user)
    assert AuditEvent.objects.filter(action=Action.EXTENSION_WITHDRAWN).count() == 1


def test_e3_a_withdrawn_county_extension_leaves_the_citys_in_force(
    main, county, province_user, after_close
):
    extend(main, county.parent, dt.date(2019, 11, 15))
    own = services.grant_extension(
        main, [county], day_end(dt.date(2019, 11, 12)), "停电", by=province_user
    )[0]
    services.withdraw_extension(own, by=province_user)
    assert main.ends_at_for(county) == day_end(dt.date(2019, 11, 15))


# ── only the province ───────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("who", ["city_user", "county_user", "point_user"])
def test_e3_other_roles_are_refused(client, request, main, county, who, after_close):
    extension = extend(main, county, dt.date(2019, 11, 12))
    client.force_login(request.getfixturevalue(who))
    assert client.get(PAGE).status_code == 403
    assert grant(client, main, [county], closes_on="2019-11-20").status_code == 403
    url = reverse("seasons:withdraw", args=[extension.pk])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert Extension.objects.get().ends_at == day_end(dt.date(2019, 11, 12))
    assert not AuditEvent.objects.filter(action__startswith="seasons.").exists()


def test_e3_signed_out_users_are_sent_to_sign_in(client, main):
    response = client.get(PAGE)
    assert response.status_code == 302 and "login" in response.url


def test_e3_another_provinces_authority_sees_nothing_of_ours(client, main, county, after_close):
    extension = extend(main, county, dt.date(2019, 11, 12))
    outsider = staff_for(ProvinceFactory(code="440000", name="广东省"))
    client.force_login(outsider)
    page = client.get(PAGE)
    assert page.status_code == 200 and "测试延期" not in page.text
    url = reverse("seasons:withdraw", args=[extension.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert Extension.objects.exists()
    with pytest.raises(PermissionDenied):
        services.grant_extension(
            main, [county], day_end(dt.date(2019, 11, 20)), "越权", by=outsider
        )
    assert Extension.objects.get().ends_at == day_end(dt.date(2019, 11, 12))
