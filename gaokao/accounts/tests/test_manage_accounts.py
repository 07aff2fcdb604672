"""Accounts down the hierarchy (S1, S2): each level creates, disables and resets the
accounts of the units directly below it, and never those of another region."""

import pytest
from django.contrib.auth import authenticate
from django.urls import reverse

from gaokao.accounts import services
from gaokao.accounts.models import Role, StaffUser
from gaokao.audit.models import Action, AuditEvent
from gaokao.testing.factories import PointFactory, staff_for

pytestmark = pytest.mark.django_db

ID_A, ID_B = "11010519491231002X", "110101199003074477"


def new_account(client, unit, id_number=ID_A, **extra):
    data = {
        "unit": unit.pk,
        "real_name": "王芳",
        "id_number": id_number,
        "mobile": "13800000001",
    } | extra
    return client.post(reverse("accounts:new"), data)


def issued_passwords(client):
    return [p for _u, p in client.get(reverse("accounts:issued")).context["issued"]]


def test_s2_county_creates_a_point_account_with_a_derived_name_and_one_time_password(
    client, county_user, point
):
    client.force_login(county_user)
    response = new_account(client, point)
    assert response.url == reverse("accounts:issued")
    account = StaffUser.objects.get(point=point)
    assert account.username == f"bmd{point.code}"
    assert (account.role, account.real_name, account.id_number) == (Role.POINT, "王芳", ID_A)
    [password] = issued_passwords(client)
    assert len(password) == 12 and not set(password) & set("0O1lI")
    assert authenticate(username=account.username, password=password) == account
    assert account.needs_setup
    assert password not in account.password  # only the hash is stored
    assert AuditEvent.objects.filter(action=Action.ACCOUNT_CREATED, actor=county_user).exists()


def test_s2_a_second_account_of_a_unit_gets_a_numbered_name(county_user, point):
    first = services.create_account(
        county_user, point, real_name="甲", id_number=ID_A, mobile="13800000001"
    )
    second = services.create_account(
        county_user, point, real_name="乙", id_number=ID_B, mobile="13800000002"
    )
    assert (first.user.username, second.user.username) == (f"bmd{point.code}", f"bmd{point.code}-2")


def test_s2_each_level_creates_accounts_one_level_down_only(county):
    city, province = county.parent, county.parent.parent
    province_user, city_user = staff_for(province), staff_for(city)
    assert services.manageable_units(province_user) == [city]
    assert services.manageable_units(city_user) == [county]
    made = services.create_account(
        city_user, county, real_name="县", id_number=ID_A, mobile="13800000001"
    )
    assert (made.user.role, made.user.username) == (Role.COUNTY, f"xq{county.code}")
    made = services.create_account(
        province_user, city, real_name="市", id_number=ID_B, mobile="13800000002"
    )
    assert (made.user.role, made.user.username) == (Role.CITY, f"sz{city.code}")


def test_s2_account_data_is_validated(client, county_user, point):
    client.force_login(county_user)
    response = new_account(client, point, id_number="340524198001010013", mobile="12345")
    assert set(response.context["form"].errors) == {"id_number", "mobile"}
    assert not StaffUser.objects.filter(point=point).exists()


def test_s2_another_countys_user_cannot_create_accounts_for_this_county(
    client, other_county_user, point
):
    client.force_login(other_county_user)
    response = new_account(client, point)
    assert response.status_code == 200 and "unit" in response.context["form"].errors
    assert not StaffUser.objects.filter(point=point).exists()
    with pytest.raises(services.ValidationError):
        services.create_account(
            other_county_user, point, real_name="x", id_number=ID_A, mobile="13800000001"
        )


def test_s2_point_users_manage_no_accounts(client, point_user):
    client.force_login(point_user)
    for name in ("accounts:list", "accounts:new", "accounts:enable_points", "accounts:issued"):
        assert client.get(reverse(name)).status_code == 403


def test_s2_county_enables_all_its_points_in_one_step(client, county_user, county):
    points = [PointFactory(county=county) for _ in range(3)]
    client.force_login(county_user)
    page = client.get(reverse("accounts:enable_points"))
    assert [p for p, _f in page.context["rows"]] == points
    data = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "3"}
    for i, (point, id_number) in enumerate(zip(points, [ID_A, ID_B, ""], strict=True)):
        data |= {f"form-{i}-point": point.code, f"form-{i}-id_number": id_number}
        if id_number:
            data |= {f"form-{i}-real_name": f"负责人{i}", f"form-{i}-mobile": f"1380000000{i}"}
    response = client.post(reverse("accounts:enable_points"), data)
    assert response.url == reverse("accounts:issued")
    assert set(StaffUser.objects.filter(role=Role.POINT).values_list("point", flat=True)) == {
        points[0].pk,
        points[1].pk,
    }
    assert len(issued_passwords(client)) == 2
    # The third point still has no account and is offered again.
    assert [p for p, _f in client.get(reverse("accounts:enable_points")).context["rows"]] == [
        points[2]
    ]


def test_s2_enabling_points_saves_nothing_when_a_row_is_wrong(client, county_user, county):
    points = [PointFactory(county=county) for _ in range(2)]
    client.force_login(county_user)
    data = {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2"}
    for i, point in enumerate(points):
        data |= {
            f"form-{i}-point": point.code,
            f"form-{i}-real_name": "某人",
            f"form-{i}-mobile": "13800000000",
        }
    data |= {"form-0-id_number": ID_A, "form-1-id_number": "12345"}
    response = client.post(reverse("accounts:enable_points"), data)
    assert response.status_code == 200
    assert not StaffUser.objects.filter(role=Role.POINT).exists()


def test_s2_reset_password_issues_a_new_slip_and_forces_authentication(client, county_user, point):
    account = services.create_account(
        county_user, point, real_name="甲", id_number=ID_A, mobile="13800000001"
    ).user
    client.force_login(county_user)
    url = reverse("accounts:action", args=[account.pk, "reset-password"])
    assert "确认" in client.get(url).text  # asks first
    response = client.post(url)
    assert response.url == reverse("accounts:issued")
    [password] = issued_passwords(client)
    account.refresh_from_db()
    assert account.check_password(password) and account.needs_setup
    assert AuditEvent.objects.filter(action=Action.PASSWORD_RESET, target=str(account)).exists()


def test_s2_disable_and_enable_an_account(client, county_user, point):
    issued = services.create_account(
        county_user, point, real_name="甲", id_number=ID_A, mobile="13800000001"
    )
    client.force_login(county_user)
    client.post(reverse("accounts:action", args=[issued.user.pk, "disable"]), {"reason": "调离"})
    assert authenticate(username=issued.user.username, password=issued.password) is None
    client.post(reverse("accounts:action", args=[issued.user.pk, "enable"]))
    assert authenticate(username=issued.user.username, password=issued.password) is not None
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert Action.ACCOUNT_DISABLED in actions and Action.ACCOUNT_ENABLED in actions


def test_s1_reset_authenticator_makes_the_person_enrol_again(client, county_user, point):
    account = services.create_account(
        county_user, point, real_name="甲", id_number=ID_A, mobile="13800000001"
    ).user
    account.totp_secret = "JBSWY3DPEHPK3PXP"
    account.save()
    client.force_login(county_user)
    client.post(reverse("accounts:action", args=[account.pk, "reset-totp"]))
    account.refresh_from_db()
    assert account.totp_secret == "" and account.needs_setup


def test_s2_another_countys_user_gets_404_for_this_countys_accounts(
    client, county_user, other_county_user, point
):
    account = services.create_account(
        county_user, point, real_name="甲", id_number=ID_A, mobile="13800000001"
    ).user
    client.force_login(other_county_user)
    assert account not in client.get(reverse("accounts:list")).context["accounts"]
    for action in ("disable", "reset-password", "reset-totp"):
        url = reverse("accounts:action", args=[account.pk, action])
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    account.refresh_from_db()
    assert account.is_active


def test_s2_a_county_cannot_manage_its_own_or_its_citys_accounts(client, county_user):
    city_user = staff_for(county_user.region.parent)
    colleague = staff_for(county_user.region)
    client.force_login(county_user)
    for target in (city_user, colleague):
        assert (
            client.post(reverse("accounts:action", args=[target.pk, "disable"])).status_code == 404
        )


def test_s2_initial_passwords_vanish_when_done(client, county_user, point):
    client.force_login(county_user)
    new_account(client, point)
    assert issued_passwords(client)
    client.post(reverse("accounts:issued_done"))
    assert client.get(reverse("accounts:issued")).context["issued"] == []
    assert client.get(reverse("accounts:slips")).status_code == 302


def test_s2_another_countys_user_cannot_print_this_countys_slips(
    client, county_user, other_county_user, point
):
    client.force_login(county_user)
    new_account(client, point)
    batch = client.session["issued_credentials"]
    client.force_login(other_county_user)
    session = client.session
    session["issued_credentials"] = batch  # even a stolen batch shows nothing of another county
    session.save()
    assert client.get(reverse("accounts:issued")).context["issued"] == []


def test_s2_slips_pdf_carries_the_initial_passwords(client, county_user, point):
    from io import BytesIO

    from pypdf import PdfReader

    client.force_login(county_user)
    new_account(client, point)
    [password] = issued_passwords(client)
    response = client.get(reverse("accounts:slips"))
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert f"bmd{point.code}" in text and password in text and "王芳" in text
    assert AuditEvent.objects.filter(action=Action.SLIPS_PRINTED, actor=county_user).exists()
