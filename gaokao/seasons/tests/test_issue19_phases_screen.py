"""Issue 19, item 5: the province sets each phase's window and each level's cut-off on the
office web's 时间安排 page. Every change is an audit event with the diff, who and why;
a blank reason or dates out of order change nothing and show the form again with what was
typed; other levels and other provinces are refused."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from gaokao.audit.models import Action, AuditEvent
from gaokao.seasons import services
from gaokao.seasons.models import Phase, PhaseKind
from gaokao.testing.factories import ProvinceFactory, SeasonFactory, add_phase, aware, staff_for

pytestmark = pytest.mark.django_db

PAGE = reverse("seasons:phases")
REASON = "省教育考试院 2019 年第 15 号通知"


@pytest.fixture
def season(county):
    season = SeasonFactory(province=county.parent.parent, is_current=True)
    add_phase(season, PhaseKind.MAIN, opens=dt.date(2019, 10, 28), closes=dt.date(2019, 11, 8))
    return season


@pytest.fixture
def main(season):
    return season.phase(PhaseKind.MAIN)


def edit_url(phase: Phase) -> str:
    return reverse("seasons:phase", args=[phase.pk])


def local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M:%S")


def form_data(phase: Phase, reason: str = REASON, **changed: str) -> dict:
    """The form as the page shows it for `phase`, with `changed` typed over it."""
    data = {
        "starts_at": local(phase.starts_at),
        "ends_at": local(phase.ends_at),
        "point_cutoff": "",
        "county_cutoff": "",
        "city_cutoff": "",
        "province_cutoff": "",
        "reason": reason,
    }
    return {**data, **changed}


def config_events():
    return AuditEvent.objects.filter(action=Action.CONFIG_CHANGED, target_type="seasons.phase")


def test_r2_issue19_the_province_moves_a_countys_cutoff_audited_with_diff_who_and_why(
    client, main, province_user, english
):
    client.force_login(province_user)
    shown = client.get(edit_url(main))
    assert shown.status_code == 200
    assert f'value="{local(main.ends_at)}"' in shown.text
    answer = client.post(
        edit_url(main),
        form_data(main, point_cutoff="2019-11-05T18:00", county_cutoff="2019-11-07T18:00"),
    )
    assert answer.status_code == 302
    main.refresh_from_db()
    assert main.point_cutoff == aware(2019, 11, 5, 18, 0)
    assert main.county_cutoff == aware(2019, 11, 7, 18, 0)
    assert main.ends_at.microsecond == 999999  # the close sent back unchanged stays as it was
    (event,) = config_events()
    assert event.actor == province_user
    assert event.detail["reason"] == REASON
    assert event.detail["changes"] == {
        "county_cutoff": [None, "2019-11-07T18:00:00+08:00"],
        "point_cutoff": [None, "2019-11-05T18:00:00+08:00"],
    }
    assert event.target_id == str(main.pk)
    # the list shows the new cut-offs, and the audit trail the event
    listed = client.get(PAGE)
    assert "2019-11-07 18:00:00" in listed.text
    trail = client.get(reverse("audit:events"), {"action": Action.CONFIG_CHANGED})
    assert event in trail.context["page"].object_list
    assert str(main) in trail.text
    assert REASON in trail.text and "2019-11-07T18:00:00+08:00" in trail.text  # why, and the diff


def test_r2_issue19_saving_the_phase_unchanged_records_nothing(client, main, province_user):
    client.force_login(province_user)
    assert client.post(edit_url(main), form_data(main)).status_code == 302
    assert not config_events().exists()


def test_r2_issue19_a_phase_change_without_a_reason_changes_nothing_and_keeps_the_typing(
    client, main, province_user
):
    client.force_login(province_user)
    answer = client.post(
        edit_url(main), form_data(main, reason=" ", city_cutoff="2019-11-20T12:00")
    )
    assert answer.status_code == 200
    assert answer.context["form"].errors["reason"]
    assert 'value="2019-11-20T12:00"' in answer.text
    main.refresh_from_db()
    assert main.city_cutoff is None
    assert not config_events().exists()


def test_r2_issue19_cutoffs_out_of_order_are_refused_with_the_typed_values(
    client, main, province_user, english
):
    client.force_login(province_user)
    answer = client.post(
        edit_url(main),
        form_data(main, county_cutoff="2019-11-20T12:00", city_cutoff="2019-11-15T12:00"),
    )
    assert answer.status_code == 200
    assert "The city&#x27;s cut-off cannot come before the county&#x27;s." in answer.text
    assert 'value="2019-11-20T12:00"' in answer.text and 'value="2019-11-15T12:00"' in answer.text
    main.refresh_from_db()
    assert main.county_cutoff is None and main.city_cutoff is None
    assert not config_events().exists()


def test_r2_issue19_a_window_closing_before_it_opens_or_outside_the_season_is_refused(
    main, province_user, english
):
    with pytest.raises(services.PhaseRefused) as refused:
        services.save_phase(
            main, {"ends_at": aware(2019, 10, 1, 0, 0)}, reason=REASON, by=province_user
        )
    assert "A window must close after it opens." in refused.value.messages
    with pytest.raises(services.PhaseRefused) as refused:
        services.save_phase(
            main, {"county_cutoff": aware(2021, 1, 5, 0, 0)}, reason=REASON, by=province_user
        )
    assert refused.value.message_dict["county_cutoff"]
    with pytest.raises(services.PhaseRefused) as refused:
        services.save_phase(
            main, {"point_cutoff": aware(2019, 10, 27, 0, 0)}, reason=REASON, by=province_user
        )
    assert "A cut-off must come after the phase opens." in refused.value.messages
    main.refresh_from_db()
    assert main.point_cutoff is None and main.county_cutoff is None
    assert not config_events().exists()


def test_r2_issue19_save_phase_refuses_a_blank_reason_and_other_users(
    main, province_user, county_user
):
    with pytest.raises(services.PhaseRefused) as refused:
        services.save_phase(
            main, {"city_cutoff": aware(2019, 11, 20, 0, 0)}, reason="  ", by=province_user
        )
    assert refused.value.message_dict["reason"]
    with pytest.raises(PermissionDenied):
        services.save_phase(
            main, {"city_cutoff": aware(2019, 11, 20, 0, 0)}, reason=REASON, by=county_user
        )
    main.refresh_from_db()
    assert main.city_cutoff is None
    assert not config_events().exists()


@pytest.mark.parametrize("who", ["city_user", "county_user", "point_user"])
def test_r2_issue19_other_levels_are_refused_the_phases_pages(client, request, main, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(PAGE).status_code == 403
    assert client.get(edit_url(main)).status_code == 403
    data = form_data(main, city_cutoff="2019-11-20T12:00")
    assert client.post(edit_url(main), data).status_code == 403
    main.refresh_from_db()
    assert main.city_cutoff is None
    assert not config_events().exists()


def test_r2_issue19_another_provinces_authority_sees_none_of_our_phases(client, main):
    other = staff_for(ProvinceFactory(code="440000", name="广东省"))
    client.force_login(other)
    listed = client.get(PAGE)
    assert listed.status_code == 200 and listed.context["season"] is None
    data = form_data(main, city_cutoff="2019-11-20T12:00")
    assert client.post(edit_url(main), data).status_code == 404
    main.refresh_from_db()
    assert main.city_cutoff is None
    assert not config_events().exists()


def test_r2_issue19_the_phases_page_is_in_the_provinces_navigation(client, main, province_user):
    client.force_login(province_user)
    assert f'href="{PAGE}"' in client.get(reverse("office:home")).text
