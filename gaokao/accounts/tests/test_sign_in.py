"""Staff sign-in: real-name authentication at first sign-in, password + TOTP afterwards,
and throttling of guesses (S1, S3, E3)."""

import datetime as dt
import time

import pyotp
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from gaokao.accounts.models import StaffUser
from gaokao.audit.models import Action, AuditEvent
from gaokao.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
NEW_PASSWORD = "Xiangjiang-river-2020"


@pytest.fixture
def newcomer(county_user):
    county_user.real_name, county_user.id_number = "李四", ID_NUMBER
    county_user.save()
    return county_user


@pytest.fixture
def enrolled(county_user):
    county_user.totp_secret = pyotp.random_base32()
    county_user.real_name_verified_at = timezone.now()
    county_user.save()
    return county_user


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("office:login"), {"username": username, "password": password})


def current_code(user, offset=0):
    return pyotp.TOTP(user.totp_secret).at(time.time() + offset)


def setup_form(client, **overrides):
    page = client.get(reverse("office:setup"))
    secret = page.context["secret"]
    data = {
        "real_name": "李四",
        "id_number": ID_NUMBER,
        "new_password": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
        "code": pyotp.TOTP(secret).now(),
    } | overrides
    return secret, client.post(reverse("office:setup"), data)


def signed_in_user(client):
    return client.get(reverse("office:home")).wsgi_request.user


def test_s1_first_sign_in_leads_to_real_name_authentication_and_nothing_else(client, newcomer):
    response = sign_in(client, newcomer.username)
    assert response.url == reverse("office:setup")
    assert not signed_in_user(client).is_authenticated
    assert client.get(reverse("office:home")).status_code == 302  # no other page opens


def test_s1_real_name_authentication_sets_password_and_authenticator(client, newcomer):
    sign_in(client, newcomer.username)
    secret, response = setup_form(client)
    assert response.url == reverse("office:home")
    newcomer.refresh_from_db()
    assert newcomer.real_name_verified_at is not None
    assert newcomer.totp_secret == secret
    assert newcomer.check_password(NEW_PASSWORD)
    assert signed_in_user(client) == newcomer
    actions = set(AuditEvent.objects.filter(actor=newcomer).values_list("action", flat=True))
    assert {Action.REAL_NAME_VERIFIED, Action.PASSWORD_CHANGED, Action.LOGIN} <= actions


def test_s1_the_secret_is_shown_only_during_enrolment(client, newcomer):
    sign_in(client, newcomer.username)
    secret, _ = setup_form(client)
    client.logout()
    sign_in(client, newcomer.username, NEW_PASSWORD)
    assert secret not in client.get(reverse("office:totp")).text


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"real_name": "王五"}, "real_name"),
        ({"id_number": "110101199003074477"}, "real_name"),  # valid, but not theirs
        ({"id_number": "340524198001010013"}, "id_number"),  # check digit wrong
        ({"new_password": "12345678901", "new_password2": "12345678901"}, "new_password"),
        ({"new_password": PASSWORD, "new_password2": PASSWORD}, "new_password"),  # the initial one
        ({"new_password2": "something else entirely"}, "new_password2"),
        ({"code": "000000"}, "code"),
    ],
)
def test_s1_real_name_authentication_refuses_mistakes_and_saves_nothing(
    client, newcomer, overrides, field
):
    sign_in(client, newcomer.username)
    _secret, response = setup_form(client, **overrides)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    newcomer.refresh_from_db()
    assert newcomer.needs_setup and newcomer.check_password(PASSWORD)
    assert not signed_in_user(client).is_authenticated


def test_s1_id_number_may_be_typed_full_width_or_with_lowercase_x(client, newcomer):
    sign_in(client, newcomer.username)
    _secret, response = setup_form(client, id_number="１１０１０５１９４９１２３１００２ｘ")
    assert response.url == reverse("office:home")


def test_s1_later_sign_ins_need_password_and_code(client, enrolled):
    response = sign_in(client, enrolled.username)
    assert response.url == reverse("office:totp")
    assert not signed_in_user(client).is_authenticated
    response = client.post(reverse("office:totp"), {"code": current_code(enrolled)})
    assert response.url == reverse("office:home")
    assert signed_in_user(client) == enrolled


def test_s1_a_code_works_once(client, enrolled):
    code = current_code(enrolled)
    sign_in(client, enrolled.username)
    client.post(reverse("office:totp"), {"code": code})
    client.logout()
    sign_in(client, enrolled.username)
    response = client.post(reverse("office:totp"), {"code": code})
    assert response.status_code == 200
    assert "code" in response.context["form"].errors


def test_s1_the_code_step_is_reachable_only_after_the_password(client, enrolled):
    response = client.post(reverse("office:totp"), {"code": current_code(enrolled)})
    assert response.url == reverse("office:login")
    assert not signed_in_user(client).is_authenticated


def test_s1_a_pending_sign_in_expires(client, enrolled):
    sign_in(client, enrolled.username)
    with time_machine.travel(dt.timedelta(minutes=11)):
        response = client.post(reverse("office:totp"), {"code": current_code(enrolled)})
    assert response.url == reverse("office:login")


def test_s1_disabled_accounts_cannot_sign_in(client, enrolled):
    enrolled.is_active = False
    enrolled.save()
    response = sign_in(client, enrolled.username)
    assert response.status_code == 200
    assert "用户名或密码错误" in response.text


def test_e3_repeated_wrong_passwords_lock_the_user_name_with_the_time_to_retry(client, enrolled):
    for _ in range(4):
        response = sign_in(client, enrolled.username, "wrong")
        assert "用户名或密码错误" in response.text
    response = sign_in(client, enrolled.username, "wrong")
    until = timezone.localtime(timezone.now() + dt.timedelta(minutes=15))
    assert "锁定" in response.text
    assert (
        f"{until:%H:%M}" in response.text
        or f"{until - dt.timedelta(minutes=1):%H:%M}" in response.text
    )
    # Locked: even the right password is refused now, without being checked.
    response = sign_in(client, enrolled.username)
    assert "锁定" in response.text
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT, actor=enrolled).count() == 1
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, actor=enrolled).count() == 5
    with time_machine.travel(dt.timedelta(minutes=16)):
        assert sign_in(client, enrolled.username).url == reverse("office:totp")


def test_e3_user_name_lock_ignores_letter_case(client, enrolled):
    for _ in range(5):
        sign_in(client, enrolled.username.upper(), "wrong")
    assert "锁定" in sign_in(client, enrolled.username).text


def test_e3_one_address_guessing_many_user_names_is_locked(client, settings, enrolled):
    from gaokao.accounts.throttle import Policy

    settings.GAOKAO_THROTTLE_POLICIES = {
        "staff-ip": Policy(3, dt.timedelta(minutes=15), dt.timedelta(minutes=15))
    }
    for n in range(3):
        sign_in(client, f"nobody{n}", "wrong")
    response = sign_in(client, enrolled.username)
    assert "锁定" in response.text
    other_address = client.post(
        reverse("office:login"),
        {"username": enrolled.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.9",
    )
    assert other_address.url == reverse("office:totp")


def test_e3_wrong_codes_lock_the_second_factor(client, enrolled):
    sign_in(client, enrolled.username)
    for _ in range(5):
        response = client.post(reverse("office:totp"), {"code": "000000"})
    assert "锁定" in response.text
    response = client.post(reverse("office:totp"), {"code": current_code(enrolled)})
    assert "锁定" in response.text
    assert not signed_in_user(client).is_authenticated
    assert AuditEvent.objects.filter(action=Action.TOTP_FAILED, actor=enrolled).count() == 5


def test_e3_unknown_user_names_are_audited_for_the_province(client, county_user):
    sign_in(client, "no-such-user", "guess")
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.actor is None and event.actor_label == "no-such-user"
    assert event.region == county_user.region.parent.parent
    assert event.ip == "127.0.0.1"


def test_s1_sign_out_is_audited(client, enrolled):
    client.force_login(enrolled)
    client.post(reverse("office:logout"))
    assert not signed_in_user(client).is_authenticated
    assert AuditEvent.objects.filter(action=Action.LOGOUT, actor=enrolled).exists()


def test_s1_next_is_followed_only_within_the_site(client, enrolled):
    client.post(
        reverse("office:login"),
        {"username": enrolled.username, "password": PASSWORD, "next": "https://evil.example/"},
    )
    response = client.post(reverse("office:totp"), {"code": current_code(enrolled)})
    assert response.url == reverse("office:home")
    client.logout()
    client.post(
        reverse("office:login"),
        {"username": enrolled.username, "password": PASSWORD, "next": reverse("office:schedule")},
    )
    response = client.post(reverse("office:totp"), {"code": current_code(enrolled, 30)})
    assert response.url == reverse("office:schedule")


def test_s1_username_is_unique_ignoring_case(county):
    from django.db import IntegrityError

    from gaokao.testing.factories import staff_for

    staff_for(county, username="xq430102")
    with pytest.raises(IntegrityError):
        StaffUser.objects.create(username="XQ430102", role="county", region=county)
