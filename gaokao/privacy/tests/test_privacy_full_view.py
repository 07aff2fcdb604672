"""The full number: shown on request to staff whose jurisdiction holds the candidate, each
view recorded; printed on login cards and sheets, each document recorded (issue 10)."""

import pytest
from django.urls import reverse

from gaokao.accounts.models import StaffUser
from gaokao.audit.models import Action, AuditEvent
from gaokao.privacy.lookups import by_index
from gaokao.privacy.masking import mask_id
from gaokao.testing.factories import staff_for


def reveal(client, candidate, **extra):
    return client.post(reverse("candidates:reveal_id_number", args=[candidate.pk]), **extra)


def viewed():
    return list(AuditEvent.objects.filter(action=Action.IDENTITY_VIEWED))


@pytest.mark.parametrize("who", ["point_user", "county_user", "city_user", "province_user"])
def test_o4_privacy_staff_of_the_candidates_region_see_the_full_number_recorded(
    request, client, candidate, who
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    page = client.get(reverse("candidates:detail", args=[candidate.pk])).content.decode()
    assert candidate.id_number not in page and not viewed(), "masked until asked for"
    response = reveal(client, candidate)
    assert response.status_code == 200
    assert candidate.id_number in response.content.decode()
    [event] = viewed()
    assert (event.actor, event.point) == (user, candidate.point)
    assert event.target == str(candidate) and event.detail["field"] == "id_number"


def test_o4_privacy_with_htmx_only_the_cell_comes_back(client, point_user, candidate):
    client.force_login(point_user)
    response = reveal(client, candidate, headers={"HX-Request": "true"})
    text = response.content.decode()
    assert response.status_code == 200 and candidate.id_number in text
    assert text.lstrip().startswith("<td") and "<html" not in text
    assert len(viewed()) == 1


def test_o4_privacy_another_regions_staff_get_404_and_nothing_is_recorded(
    client, candidate, other_county_user, other_city_user, other_point
):
    for user in (other_county_user, other_city_user, staff_for(other_point)):
        client.force_login(user)
        response = reveal(client, candidate)
        assert response.status_code == 404
        assert candidate.id_number not in response.content.decode()
    assert viewed() == []


def test_o4_privacy_the_full_view_is_a_post_and_needs_a_staff_sign_in(
    client, point_user, candidate
):
    assert reveal(client, candidate).status_code == 302  # to the sign-in page
    client.force_login(point_user)
    url = reverse("candidates:reveal_id_number", args=[candidate.pk])
    assert client.get(url).status_code == 405
    assert viewed() == []


def test_o4_privacy_login_cards_and_sheet_print_the_full_number_and_are_recorded(
    client, point_user, candidate
):
    candidate.documents_received, candidate.fee_fen, candidate.eligibility = True, 0, "eligible"
    candidate.save()
    client.force_login(point_user)
    issued = client.post(reverse("candidates:login_cards"), {"candidate": [candidate.pk]})
    assert issued.url == reverse("candidates:issued")
    documents = [
        ("candidates:issued_cards", "login_cards"),
        ("candidates:issued_sheet", "login_sheet"),
    ]
    for name, document in documents:
        assert client.get(reverse(name)).status_code == 200
        event = viewed()[0]
        assert event.detail["document"] == document
        assert event.detail["numbers"] == [candidate.registration_number]
    assert len(viewed()) == 2
    page = client.get(reverse("candidates:issued")).content.decode()
    assert candidate.id_number not in page and mask_id(candidate.id_number) not in page


def test_o4_privacy_the_admin_shows_a_staff_number_masked_and_takes_a_correction(
    client, province_user, point_user
):
    point_user.id_number = "430102198501010018"
    point_user.save()
    province_user.is_staff = province_user.is_superuser = True
    province_user.save()
    client.force_login(province_user)
    url = reverse("admin:accounts_staffuser_change", args=[point_user.pk])
    page = client.get(url)
    assert "430102198501010018" not in page.content.decode()
    assert "430***********0018" in page.content.decode()
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in ((n, form[n].value()) for n in form.fields)
        if value is not None and name not in ("password", "new_id_number")
    }
    data["date_joined_0"], data["date_joined_1"] = "2019-10-01", "08:00:00"
    data.pop("date_joined", None)
    response = client.post(
        url,
        data | {"new_id_number": "11010519491231002x", "change_reason": "身份证号录入有误"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    point_user.refresh_from_db()
    assert point_user.id_number == "11010519491231002X"
    assert StaffUser.objects.filter(by_index("11010519491231002X")).get() == point_user
