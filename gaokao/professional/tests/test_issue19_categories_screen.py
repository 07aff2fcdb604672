"""Issue 19, item 5: the province configures the season's professional exam categories
(专业考试类别) and their fees on the office web. Every change is an audit event with the
diff, who and why; a blank reason or a bad value changes nothing and shows the form again
with what was typed; a fee change leaves the orders already made at their own amount; a
category that registrations hold is not deleted; other levels and other provinces are
refused."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.payments.models import PaymentOrder
from gaokao.payments.tests.helpers import choose, make_candidate, start, trade_of
from gaokao.professional import config
from gaokao.professional import services as professional
from gaokao.professional.models import Category, Registration
from gaokao.sandbox.cashier import settle
from gaokao.testing.factories import ProvinceFactory, staff_for

pytestmark = pytest.mark.django_db

PAGE = reverse("payments-office:categories")
REASON = "省教育考试院 2019 年第 21 号通知"


def edit_url(category: Category) -> str:
    return reverse("payments-office:category", args=[category.pk])


def form_data(category: Category, reason: str = REASON, **changed) -> dict:
    """The category's form as the page shows it, with `changed` typed over it."""
    data = {
        "name": category.name,
        "fee": category.fee_yuan,
        "sort_order": str(category.sort_order),
        "tracks": list(category.tracks),
        "main_items": "、".join(category.main_items),
        "secondary_items": "、".join(category.secondary_items),
        "reason": reason,
        "action": "save",
    }
    if category.is_active:
        data["is_active"] = "on"
    return {**data, **changed}


def new_data(reason: str = REASON, **changed) -> dict:
    data = {
        "code": "WD",
        "name": "舞蹈",
        "kind": "art",
        "fee": "130.00",
        "sort_order": "",
        "is_active": "on",
        "tracks": ["3", "7"],
        "main_items": "",
        "secondary_items": "",
        "reason": reason,
    }
    return {**data, **changed}


def config_events(action=None):
    events = AuditEvent.objects.filter(target_type="professional.category")
    return events.filter(action=action) if action else events


def register(candidate, category, status=Registration.Status.PAID, **kw) -> Registration:
    return Registration.objects.create(
        candidate=candidate, category=category, exam_phone="13812345678", status=status, **kw
    )


# ── changes, audited ──────────────────────────────────────────────────────────────────


def test_o6_issue19_the_province_changes_a_fee_audited_with_diff_who_and_why(
    client, art, province_user, english
):
    client.force_login(province_user)
    shown = client.get(edit_url(art))
    assert shown.status_code == 200
    assert 'value="120"' in shown.text and "美术" in shown.text
    answer = client.post(edit_url(art), form_data(art, fee="150.50", name="美术类"))
    assert answer.status_code == 302
    art.refresh_from_db()
    assert (art.fee_fen, art.name) == (15050, "美术类")
    (event,) = config_events(Action.CONFIG_CHANGED)
    assert event.actor == province_user
    assert event.detail["reason"] == REASON
    assert event.detail["changes"] == {"fee_fen": [12000, 15050], "name": ["美术", "美术类"]}
    assert event.target_id == str(art.pk)
    listed = client.get(PAGE)
    assert "150.50" in listed.text and "美术类" in listed.text
    trail = client.get(reverse("audit:events"), {"action": Action.CONFIG_CHANGED})
    assert event in trail.context["page"].object_list
    assert REASON in trail.text


def test_o6_issue19_saving_a_category_unchanged_records_nothing(client, art, province_user):
    client.force_login(province_user)
    assert client.post(edit_url(art), form_data(art)).status_code == 302
    assert not config_events().exists()


def test_o6_issue19_the_province_adds_a_category_audited(client, season, province_user, candidate):
    client.force_login(province_user)
    answer = client.post(PAGE, new_data(main_items="独舞、群舞"))
    assert answer.status_code == 302
    added = Category.objects.get(season=season, code="WD")
    assert (added.name, added.fee_fen, added.tracks) == ("舞蹈", 13000, ["3", "7"])
    assert added.main_items == ["独舞", "群舞"] and added.is_active
    (event,) = config_events(Action.CONFIG_ADDED)
    assert event.actor == province_user and event.detail["reason"] == REASON
    assert event.detail["changes"]["fee_fen"] == [None, 13000]
    assert event.detail["changes"]["code"] == [None, "WD"]
    assert added in professional.categories_for(candidate)  # offered to an art candidate


def test_o6_issue19_a_category_no_longer_offered_leaves_the_candidates_choice(
    client, art, music, province_user, candidate
):
    client.force_login(province_user)
    data = form_data(art)
    del data["is_active"]
    assert client.post(edit_url(art), data).status_code == 302
    art.refresh_from_db()
    assert not art.is_active
    assert professional.categories_for(candidate) == [music]
    (event,) = config_events(Action.CONFIG_CHANGED)
    assert event.detail["changes"] == {"is_active": [True, False]}


def test_o6_issue19_items_and_tracks_can_change_while_no_registration_holds_them(
    music, province_user
):
    diff = config.change_category(
        music,
        name=music.name,
        fee_fen=music.fee_fen,
        sort_order=5,
        is_active=True,
        tracks=["3"],
        main_items=["声乐", "器乐", "作曲"],
        secondary_items=[],
        reason=REASON,
        by=province_user,
    )
    assert diff["tracks"] == [["3", "7"], ["3"]]
    assert diff["main_items"] == [["声乐", "器乐"], ["声乐", "器乐", "作曲"]]
    assert diff["secondary_items"] == [["美声", "钢琴"], []]
    assert diff["sort_order"] == [0, 5]


def test_o6_issue19_the_service_changes_only_what_it_is_given(art, province_user):
    art.is_active = False
    art.save()
    diff = config.change_category(art, fee_fen=9900, reason=REASON, by=province_user)
    assert diff == {"fee_fen": [12000, 9900]}
    art.refresh_from_db()
    assert (art.fee_fen, art.is_active, art.tracks) == (9900, False, ["3", "7"])
    with pytest.raises(ValueError):
        config.change_category(art, code="XX", reason=REASON, by=province_user)


def test_o6_issue19_an_item_or_track_that_registrations_hold_is_not_taken_away(
    client, music, province_user, season, point, english
):
    register(make_candidate(season, point), music, main_item="声乐", secondary_item="美声")
    register(make_candidate(season, point, track="7"), music, main_item="器乐")
    client.force_login(province_user)
    answer = client.post(edit_url(music), form_data(music, main_items="器乐", tracks=["3"]))
    assert answer.status_code == 200
    errors = answer.context["form"].errors
    assert errors["main_items"] == [
        "1 registration holds 声乐: it cannot be taken away. Stop offering the category instead."
    ]
    assert errors["tracks"][0].startswith("1 candidate of subject track 7 has chosen")
    assert 'value="器乐"' in answer.text  # as typed
    music.refresh_from_db()
    assert music.main_items == ["声乐", "器乐"] and music.tracks == ["3", "7"]
    assert not config_events().exists()


# ── a fee change and the orders already made ──────────────────────────────────────────


def test_o6_issue19_a_fee_change_leaves_paid_and_started_orders_at_their_own_amount(
    client, art, candidate, season, point, province_user, wechat, clock, english
):
    paid = choose(candidate, art)
    settle(trade_of(start(paid, wechat)), "pay")
    started_by = make_candidate(season, point)
    started = start(choose(started_by, art), wechat)  # an order waiting to be paid
    assert started.amount_fen == 12000

    client.force_login(province_user)
    page = client.get(edit_url(art))
    assert "Registrations: 2, of which 1 paid; payments started and not finished: 1." in (page.text)
    assert "a registration already paid keeps the amount it paid" in page.text
    assert client.post(edit_url(art), form_data(art, fee="150")).status_code == 302
    art.refresh_from_db()
    assert art.fee_fen == 15000

    # the order started before the change is paid at its own amount, not flagged
    settle(trade_of(started), "pay")
    started.refresh_from_db()
    assert (started.state, started.amount_fen, started.needs_review) == ("paid", 12000, False)
    assert PaymentOrder.objects.get(registration=paid).amount_fen == 12000
    # a payment started after the change takes the new fee
    late = start(choose(make_candidate(season, point), art), wechat)
    assert late.amount_fen == 15000


# ── refusals: the form again, as typed; nothing saved ─────────────────────────────────


def test_o6_issue19_a_category_change_without_a_reason_changes_nothing_and_keeps_the_typing(
    client, art, province_user, english
):
    client.force_login(province_user)
    answer = client.post(edit_url(art), form_data(art, reason="  ", fee="175.00", name="美术2"))
    assert answer.status_code == 200
    assert answer.context["form"].errors["reason"]
    assert 'value="175.00"' in answer.text and 'value="美术2"' in answer.text
    art.refresh_from_db()
    assert (art.fee_fen, art.name) == (12000, "美术")
    assert not config_events().exists()


def test_o6_issue19_the_service_refuses_a_blank_reason(art, province_user, english):
    with pytest.raises(config.CategoryRefused) as refused:
        config.change_category(
            art,
            name=art.name,
            fee_fen=20000,
            sort_order=0,
            is_active=True,
            tracks=art.tracks,
            reason=" ",
            by=province_user,
        )
    assert refused.value.message_dict["reason"] == ["Give a reason for the change."]
    art.refresh_from_db()
    assert art.fee_fen == 12000
    assert not config_events().exists()


@pytest.mark.parametrize("typed", ["-5", "abc", "12.345"])
def test_o6_issue19_an_invalid_fee_is_shown_again_and_nothing_saved(
    client, art, province_user, typed
):
    client.force_login(province_user)
    answer = client.post(edit_url(art), form_data(art, fee=typed))
    assert answer.status_code == 200
    assert answer.context["form"].errors["fee"]
    assert f'value="{typed}"' in answer.text
    art.refresh_from_db()
    assert art.fee_fen == 12000
    assert not config_events().exists()


def test_o6_issue19_adding_without_a_reason_or_with_a_bad_fee_adds_nothing(
    client, season, art, province_user, english
):
    client.force_login(province_user)
    answer = client.post(PAGE, new_data(reason=""))
    assert answer.status_code == 200 and answer.context["form"].errors["reason"]
    assert 'value="WD"' in answer.text and 'value="舞蹈"' in answer.text
    answer = client.post(PAGE, new_data(fee="-1"))
    assert answer.status_code == 200 and answer.context["form"].errors["fee"]
    answer = client.post(PAGE, new_data(code="MS"))  # the season has 美术 as MS
    assert answer.status_code == 200
    assert answer.context["form"].errors["code"] == ["The season already has category MS (美术)."]
    assert list(Category.objects.filter(season=season)) == [art]
    assert not config_events().exists()


# ── deleting ──────────────────────────────────────────────────────────────────────────


def test_o6_issue19_a_category_with_registrations_is_not_deleted_and_the_count_is_shown(
    client, art, season, point, province_user, english
):
    register(make_candidate(season, point), art)
    register(make_candidate(season, point), art, status=Registration.Status.UNPAID)
    client.force_login(province_user)
    answer = client.post(edit_url(art), form_data(art, action="delete"))
    assert answer.status_code == 200
    assert answer.context["form"].non_field_errors() == [
        "2 registrations hold 美术: it cannot be deleted. "
        "Stop offering it instead; the registrations keep it."
    ]
    assert Category.objects.filter(pk=art.pk).exists()
    assert not config_events().exists()


def test_o6_issue19_a_category_no_registration_holds_is_deleted_audited(client, art, province_user):
    client.force_login(province_user)
    assert client.post(edit_url(art), form_data(art, action="delete")).status_code == 302
    assert not Category.objects.filter(pk=art.pk).exists()
    (event,) = config_events(Action.CONFIG_DELETED)
    assert event.detail["changes"]["fee_fen"] == [12000, None]
    assert event.detail["reason"] == REASON and event.actor == province_user


# ── who may ───────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("who", ["city_user", "county_user", "point_user"])
def test_o6_issue19_other_levels_are_refused_the_categories_pages(client, request, art, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, new_data()).status_code == 403
    assert client.get(edit_url(art)).status_code == 403
    assert client.post(edit_url(art), form_data(art, fee="1")).status_code == 403
    assert client.post(edit_url(art), form_data(art, action="delete")).status_code == 403
    art.refresh_from_db()
    assert art.fee_fen == 12000
    assert list(Category.objects.all()) == [art]
    assert not config_events().exists()


def test_o6_issue19_another_provinces_authority_sees_and_changes_none_of_our_categories(
    client, art, county_user
):
    other = staff_for(ProvinceFactory(code="440000", name="广东省"))
    client.force_login(other)
    listed = client.get(PAGE)
    assert listed.status_code == 200 and listed.context["season"] is None
    assert "美术" not in listed.text
    assert client.post(PAGE, new_data()).status_code == 200
    assert client.get(edit_url(art)).status_code == 404
    assert client.post(edit_url(art), form_data(art, fee="1")).status_code == 404
    with pytest.raises(PermissionDenied):
        config.change_category(art, name="x", fee_fen=1, tracks=["3"], reason=REASON, by=other)
    with pytest.raises(PermissionDenied):
        config.delete_category(art, reason=REASON, by=county_user)
    art.refresh_from_db()
    assert art.fee_fen == 12000
    assert list(Category.objects.all()) == [art]
    assert not config_events().exists()


def test_o6_issue19_the_categories_page_is_in_the_provinces_navigation_only(
    client, art, province_user, county_user
):
    client.force_login(province_user)
    assert f'href="{PAGE}"' in client.get(reverse("office:home")).text
    client.force_login(county_user)
    assert f'href="{PAGE}"' not in client.get(reverse("office:home")).text


def test_o6_issue19_the_point_client_does_not_serve_the_categories_pages(
    client, settings, art, province_user
):
    settings.GAOKAO_MODE = "client"
    client.force_login(province_user)
    assert client.get(PAGE).status_code == 404
    assert client.get(edit_url(art)).status_code == 404
