"""Issue 19, item 5: every change to a staff account — created, moved to another unit,
disabled or enabled, its password or authenticator reset — is in the audit chain as a
diff with who and why; moving and disabling need a reason; only the level directly above
may do it."""

import pytest
from django.urls import reverse

from gaokao.accounts import services
from gaokao.accounts.models import StaffUser
from gaokao.audit.config import ReasonRequired
from gaokao.audit.models import Action, AuditEvent
from gaokao.testing.factories import PointFactory

pytestmark = pytest.mark.django_db

ID_A = "11010519491231002X"


@pytest.fixture
def account(county_user, point):
    return services.create_account(
        county_user, point, real_name="甲", id_number=ID_A, mobile="13800000001"
    ).user


def event(action) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


def test_s2_issue19_a_new_account_is_audited_as_a_diff_with_the_reason(client, county_user, point):
    client.force_login(county_user)
    data = {"unit": point.pk, "real_name": "王芳", "id_number": ID_A, "mobile": "13800000001"}
    client.post(reverse("accounts:new"), data | {"reason": "新任负责人"})
    created = event(Action.ACCOUNT_CREATED)
    changes = created.detail["changes"]
    assert (created.actor, created.detail["reason"]) == (county_user, "新任负责人")
    assert changes["real_name"] == [None, "王芳"] and changes["role"] == [None, "point"]
    assert ID_A not in str(created.detail) and changes["id_number"][1].endswith("002X")
    assert "password" not in changes and "totp_secret" not in changes


def test_s2_issue19_an_account_moves_to_another_point_with_a_reason(client, county_user, account):
    other = PointFactory(county=account.point.county)
    client.force_login(county_user)
    url = reverse("accounts:edit", args=[account.pk])
    response = client.post(url, {"unit": other.pk, "mobile": "13900000002", "reason": "调岗"})
    assert response.url == reverse("accounts:list")
    account.refresh_from_db()
    assert (account.point, account.mobile) == (other, "13900000002")
    changed = event(Action.CONFIG_CHANGED)
    assert changed.detail["changes"] == {
        "mobile": ["13800000001", "13900000002"],
        "point": [str(PointFactory._meta.model.objects.exclude(pk=other.pk).get()), str(other)],
    }
    assert (changed.actor, changed.detail["reason"], changed.point) == (county_user, "调岗", other)


def test_s2_issue19_moving_an_account_without_a_reason_saves_nothing(client, county_user, account):
    other = PointFactory(county=account.point.county)
    client.force_login(county_user)
    url = reverse("accounts:edit", args=[account.pk])
    response = client.post(url, {"unit": other.pk, "mobile": "13800000001", "reason": " "})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    account.refresh_from_db()
    assert account.point != other
    with pytest.raises(ReasonRequired):
        services.change_account(county_user, account, unit=other, mobile="1", reason="")
    assert not AuditEvent.objects.filter(action=Action.CONFIG_CHANGED).exists()


def test_s2_issue19_a_wrong_mobile_number_is_shown_again(client, county_user, account):
    client.force_login(county_user)
    url = reverse("accounts:edit", args=[account.pk])
    data = {"unit": account.point_id, "mobile": "12345", "reason": "更正手机号"}
    response = client.post(url, data)
    assert response.status_code == 200 and "mobile" in response.context["form"].errors
    assert 'value="12345"' in response.text and 'value="更正手机号"' in response.text
    account.refresh_from_db()
    assert account.mobile == "13800000001"


def test_s2_issue19_disabling_needs_a_reason_and_is_audited_as_a_diff(client, county_user, account):
    client.force_login(county_user)
    url = reverse("accounts:action", args=[account.pk, "disable"])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    account.refresh_from_db()
    assert account.is_active
    with pytest.raises(ReasonRequired):
        services.set_active(county_user, account, False)
    client.post(url, {"reason": "人员离职"})
    account.refresh_from_db()
    assert not account.is_active
    disabled = event(Action.ACCOUNT_DISABLED)
    assert disabled.detail["changes"] == {"is_active": [True, False]}
    assert (disabled.actor, disabled.detail["reason"]) == (county_user, "人员离职")
    client.post(reverse("accounts:action", args=[account.pk, "enable"]))
    assert event(Action.ACCOUNT_ENABLED).detail["changes"] == {"is_active": [False, True]}


def test_s2_issue19_resets_are_audited_as_diffs_without_secrets(county_user, account):
    account.totp_secret = "JBSWY3DPEHPK3PXP"
    account.save()
    issued = services.reset_password(county_user, account, reason="忘记密码")
    services.reset_totp(county_user, account)
    reset = event(Action.PASSWORD_RESET)
    assert reset.detail["changes"]["password"] == ["", "reset"]
    assert reset.detail["reason"] == "忘记密码" and issued.password not in str(reset.detail)
    assert event(Action.TOTP_RESET).detail["changes"] == {"authenticator": [True, False]}
    assert "JBSWY3DPEHPK3PXP" not in str(AuditEvent.objects.values_list("detail", flat=True))


def test_s2_issue19_other_regions_and_levels_cannot_change_an_account(
    client, account, other_county_user, city_user, point_user
):
    url = reverse("accounts:edit", args=[account.pk])
    data = {"unit": account.point_id, "mobile": "13900000009", "reason": "越权"}
    # Another county, and the city (which manages county accounts, not points').
    for user in (other_county_user, city_user):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, data).status_code == 404
    client.force_login(point_user)
    assert client.post(url, data).status_code == 403
    account.refresh_from_db()
    assert account.mobile == "13800000001"
    with pytest.raises(services.ValidationError):
        services.change_account(
            other_county_user, account, unit=account.point, mobile="13900000009", reason="越权"
        )


def test_s2_issue19_an_account_cannot_move_to_another_countys_point(
    county_user, account, other_point
):
    with pytest.raises(services.ValidationError):
        services.change_account(
            county_user, account, unit=other_point, mobile="13800000001", reason="调岗"
        )
    assert StaffUser.objects.get(pk=account.pk).point == account.point
