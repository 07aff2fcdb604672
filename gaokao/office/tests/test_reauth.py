"""Re-authentication before dangerous staff actions (issue 10 §6, against E3's attacks):
resetting another account's password or authenticator, exports of candidates' data, and
pausing or resuming the service ask for the password and the authenticator code again when
they were last typed more than ten minutes ago. A sign-in counts; the re-authentication
page counts; each is audited."""

import datetime as dt
import time
from types import SimpleNamespace

import pyotp
import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gaokao.audit.models import Action, AuditEvent
from gaokao.gate import services as gate
from gaokao.gate.models import Pause
from gaokao.testing.factories import PASSWORD, staff_for
from gaokao.web import reauth

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_gate_state():
    gate.forget_cached_state()
    yield
    gate.forget_cached_state()


def with_authenticator(user):
    user.totp_secret = pyotp.random_base32()
    user.real_name_verified_at = timezone.now()
    user.save()
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(with_authenticator(user))
    return client


def make_stale(client: Client) -> None:
    """As if the sign-in was eleven minutes ago."""
    session = client.session
    session[reauth.SESSION_KEY] = time.time() - reauth.WINDOW_SECONDS - 60
    session.save()


def confirm_identity(client: Client, user, next_url: str, *, password=PASSWORD, code=None):
    code = code or pyotp.TOTP(user.totp_secret).now()
    return client.post(
        reverse("accounts:reauth"), {"password": password, "code": code, "next": next_url}
    )


def reauth_url(next_url: str) -> str:
    from urllib.parse import urlencode

    return f"{reverse('accounts:reauth')}?{urlencode({'next': next_url})}"


# ── the protected actions ──────────────────────────────────────────────────────────────


@pytest.fixture
def account(point):
    """Point staff whose credentials the county resets."""
    return staff_for(point)


def reset_password(county_user, account):
    url = reverse("accounts:action", args=[account.pk, "reset-password"])

    def done():
        account.refresh_from_db()
        return not check_password(PASSWORD, account.password)

    return county_user, "POST", url, url, done


def reset_totp(county_user, account):
    account.totp_secret = pyotp.random_base32()
    account.save()
    url = reverse("accounts:action", args=[account.pk, "reset-totp"])

    def done():
        account.refresh_from_db()
        return not account.totp_secret

    return county_user, "POST", url, url, done


def export(kind):
    def case(province_user):
        url = reverse(f"exports:{kind}") + "?subject_track=&stage="
        back = reverse("exports:index") + "?subject_track=&stage="
        action = Action.PHOTOS_EXPORTED if kind == "photos" else Action.CANDIDATES_EXPORTED

        def done():
            return AuditEvent.objects.filter(action=action).exists()

        return province_user, "GET", url, back, done

    return case


def professional_export(province_user):
    def done():
        return AuditEvent.objects.filter(action=Action.PROFESSIONAL_EXPORTED).exists()

    back = reverse("payments-office:report")
    return province_user, "GET", reverse("payments-office:export"), back, done


def pause(province_user):
    def done():
        return Pause.objects.filter(scope="portal").exists()

    return province_user, "POST", reverse("gate:pause"), reverse("gate:index"), done


def resume(province_user):
    Pause.objects.create(scope="portal", message="维护", by=province_user, since=timezone.now())
    gate.forget_cached_state()

    def done():
        return not Pause.objects.exists()

    return province_user, "POST", reverse("gate:resume"), reverse("gate:index"), done


CASES = {
    "reset-password": lambda f: reset_password(f.county_user, f.account),
    "reset-totp": lambda f: reset_totp(f.county_user, f.account),
    "exports-csv": lambda f: export("csv")(f.province_user),
    "exports-xlsx": lambda f: export("xlsx")(f.province_user),
    "exports-photos": lambda f: export("photos")(f.province_user),
    "professional-export": lambda f: professional_export(f.province_user),
    "pause": lambda f: pause(f.province_user),
    "resume": lambda f: resume(f.province_user),
}
FORMS = {
    "pause": {"scope": "portal", "message": "系统维护，稍后恢复。"},
    "resume": {"scope": "portal"},
}


@pytest.fixture(params=CASES)
def case(request, county_user, province_user, account):
    fixtures = SimpleNamespace(
        county_user=county_user, province_user=province_user, account=account
    )
    user, method, url, back, done = CASES[request.param](fixtures)
    data = FORMS.get(request.param, {})

    def act(client):
        if method == "POST":
            return client.post(url, data)
        return client.get(url)

    return SimpleNamespace(user=user, act=act, back=back, done=done, url=url, method=method)


def test_e3_refused_without_a_recent_reauthentication(case):
    client = signed_in(case.user)
    make_stale(client)
    answer = case.act(client)
    assert answer.status_code == 302
    assert answer["Location"] == reauth_url(case.back)
    assert not case.done()


def test_e3_allowed_after_reauthentication_and_back_where_the_user_was(case):
    client = signed_in(case.user)
    make_stale(client)
    back = case.act(client)["Location"]
    assert client.get(back).status_code == 200  # the page with the form
    answer = confirm_identity(client, case.user, case.back)
    assert answer.status_code == 302 and answer["Location"] == case.back
    result = case.act(client)
    if case.method == "GET":  # an export: the file itself
        assert result.status_code == 200
    else:  # an action: done, and back to a page that is not the re-authentication
        assert result.status_code == 302
        assert not result["Location"].startswith(reverse("accounts:reauth"))
    if hasattr(result, "streaming_content"):
        b"".join(result.streaming_content)
    assert case.done()


def test_e3_a_sign_in_counts_and_the_window_closes_after_ten_minutes(case):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = signed_in(case.user)  # both factors: a fresh authentication
        clock.shift(dt.timedelta(minutes=10, seconds=1))
        answer = case.act(client)
        assert answer.status_code == 302
        assert answer["Location"] == reauth_url(case.back)
        assert not case.done()


def test_e3_the_reauthentication_lasts_ten_minutes(county_user, account):
    url = reverse("accounts:action", args=[account.pk, "disable"])
    reset = reverse("accounts:action", args=[account.pk, "reset-totp"])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = signed_in(county_user)
        clock.shift(dt.timedelta(hours=1))
        assert confirm_identity(client, county_user, reset)["Location"] == reset
        clock.shift(dt.timedelta(minutes=9, seconds=59))
        assert client.get(reset).status_code == 200  # the confirmation page
        clock.shift(dt.timedelta(seconds=2))
        assert client.get(reset)["Location"] == reauth_url(reset)
        # Disabling an account is not a credential reset: no question asked.
        assert client.post(url, {"reason": "调离"})["Location"] == reverse("accounts:list")
    account.refresh_from_db()
    assert not account.is_active


# ── the re-authentication page ─────────────────────────────────────────────────────────


def test_e3_the_page_asks_for_password_and_code_and_is_audited(county_user):
    client = signed_in(county_user)
    make_stale(client)
    page = client.get(reauth_url("/office/accounts/"))
    assert page.status_code == 200
    assert 'name="password"' in page.text and 'name="code"' in page.text
    key = client.session.session_key
    answer = confirm_identity(client, county_user, "/office/accounts/")
    assert answer["Location"] == "/office/accounts/"
    assert client.session.session_key != key  # more rights: a new session key
    assert reauth.is_recent(SimpleNamespace(session=client.session))
    event = AuditEvent.objects.get(action=Action.REAUTHENTICATED)
    assert event.actor == county_user and event.detail == {"next": "/office/accounts/"}


@pytest.mark.parametrize("which", ["password", "code"])
def test_e3_a_wrong_password_or_code_is_refused_audited_and_changes_nothing(county_user, which):
    client = signed_in(county_user)
    make_stale(client)
    wrong = {"password": "not-the-password"} if which == "password" else {"code": "000000"}
    answer = confirm_identity(client, county_user, "/office/accounts/", **wrong)
    assert answer.status_code == 200
    assert "alert-danger" in answer.text
    assert not reauth.is_recent(SimpleNamespace(session=client.session))
    failed = Action.LOGIN_FAILED if which == "password" else Action.TOTP_FAILED
    assert AuditEvent.objects.filter(action=failed, actor=county_user).exists()
    assert not AuditEvent.objects.filter(action=Action.REAUTHENTICATED).exists()


def test_e3_a_code_works_once(county_user):
    client = signed_in(county_user)
    make_stale(client)
    code = pyotp.TOTP(county_user.totp_secret).now()
    assert confirm_identity(client, county_user, "/office/", code=code).status_code == 302
    make_stale(client)
    again = confirm_identity(client, county_user, "/office/", code=code)
    assert again.status_code == 200
    assert not reauth.is_recent(SimpleNamespace(session=client.session))


def test_e3_repeated_failures_lock_like_the_sign_in(county_user):
    client = signed_in(county_user)
    make_stale(client)
    for _ in range(12):
        answer = confirm_identity(client, county_user, "/office/", password="wrong-password")
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT).exists()
    # Locked: even the right password and code are refused until the lock ends.
    answer = confirm_identity(client, county_user, "/office/")
    assert answer.status_code == 200
    assert not reauth.is_recent(SimpleNamespace(session=client.session))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_e3_it_returns_only_to_this_site(county_user, target):
    client = signed_in(county_user)
    make_stale(client)
    assert confirm_identity(client, county_user, target)["Location"] == reverse("office:home")


def test_e3_candidates_and_visitors_are_sent_to_the_office_sign_in(client):
    answer = client.get(reverse("accounts:reauth"))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("office:login"))


def test_e3_the_admin_password_form_for_another_account_asks_too(county, account):
    province = staff_for(county.parent.parent, is_staff=True, is_superuser=True)
    client = signed_in(province)
    url = reverse("admin:auth_user_password_change", args=[account.pk])
    assert client.get(url).status_code == 200
    make_stale(client)
    answer = client.post(url, {"password1": "Zq8-new-pass-77", "password2": "Zq8-new-pass-77"})
    assert answer["Location"] == reauth_url(url)
    account.refresh_from_db()
    assert check_password(PASSWORD, account.password)
