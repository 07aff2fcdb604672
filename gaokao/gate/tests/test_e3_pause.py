"""E3: the province pauses the candidate portal, the office web of the levels below, or
both, with a message; every app server obeys within seconds; the province's own pages,
the office sign-in, payment notifications and the probes stay up; all of it audited."""

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from gaokao.audit.models import Action, AuditEvent
from gaokao.gate import services
from gaokao.gate.models import Pause
from gaokao.gate.tests.conftest import sign_in
from gaokao.testing.factories import aware

pytestmark = pytest.mark.django_db

MESSAGE = "系统维护中，预计 14:00 恢复。"


def pause(client, province_user, scope, message=MESSAGE):
    client.force_login(province_user)
    response = client.post(reverse("gate:pause"), {"scope": scope, "message": message})
    client.logout()
    return response


def resume(client, province_user, scope):
    client.force_login(province_user)
    response = client.post(reverse("gate:resume"), {"scope": scope})
    client.logout()
    return response


def assert_paused(response):
    assert response.status_code == 503
    assert response["Retry-After"] == str(services.RETRY_AFTER_SECONDS)
    assert MESSAGE in response.content.decode()


def test_e3_pause_portal_answers_503_with_the_message_and_retry_after(client, province_user):
    assert client.get(reverse("portal:login")).status_code == 200
    response = pause(client, province_user, "portal")
    assert response.url == reverse("gate:index")
    assert_paused(client.get(reverse("portal:login")))
    assert_paused(client.get(reverse("gate-portal:wait")))
    # The page says when it was paused.
    since = Pause.objects.get(scope="portal").since
    stamp = f"{timezone.localtime(since):%Y-%m-%d %H:%M}"
    assert stamp in client.get(reverse("portal:login")).content.decode()


def test_e3_a_paused_request_is_not_logged_as_a_server_error(client, province_user, caplog):
    pause(client, province_user, "portal")
    with caplog.at_level("WARNING", logger="django.request"):
        assert client.get(reverse("portal:login")).status_code == 503
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_e3_pause_portal_leaves_the_office_open(client, province_user, county_user):
    pause(client, province_user, "portal")
    client.force_login(county_user)
    assert client.get(reverse("office:home")).status_code == 200


def test_e3_pause_office_stops_every_level_below_the_province(
    client, province_user, city_user, county_user, point_user
):
    pause(client, province_user, "office")
    for user in (city_user, county_user, point_user):
        client.force_login(user)
        assert_paused(client.get(reverse("office:home")))
        assert_paused(client.get(reverse("audit:events")))
    client.logout()
    assert_paused(client.get("/admin/"))
    assert client.get(reverse("portal:login")).status_code == 200  # the portal is open


def test_e3_pause_office_stops_the_point_clients_sync_with_json(client, province_user):
    pause(client, province_user, "office")
    response = client.get("/api/v1/pull", HTTP_AUTHORIZATION="Device whatever")
    assert response.status_code == 503
    assert response["Retry-After"] == str(services.RETRY_AFTER_SECONDS)
    assert MESSAGE in response.json()["detail"]


def test_e3_the_provinces_own_pages_stay_usable(client, province_user):
    pause(client, province_user, "both")
    client.force_login(province_user)
    assert client.get(reverse("office:home")).status_code == 200
    assert client.get(reverse("gate:index")).status_code == 200
    assert client.get(reverse("audit:events")).status_code == 200
    assert client.get("/admin/").status_code != 503
    assert client.get(reverse("portal:login")).status_code == 200  # trying the portal out


def test_e3_office_sign_in_and_sign_out_stay_reachable(client, province_user, county_user):
    pause(client, province_user, "both")
    paused_page = client.get(reverse("office:home"))
    assert paused_page.status_code == 503 and paused_page["X-Frame-Options"] == "DENY"
    assert reverse("office:login") in paused_page.content.decode()  # the way in is shown
    assert client.get(reverse("office:login")).status_code == 200
    client.force_login(county_user)
    assert client.post(reverse("office:logout")).status_code == 302


def test_e3_payment_notifications_sandbox_and_probes_are_never_paused(client, province_user):
    pause(client, province_user, "both")
    # The notification view itself answers (an unknown channel: 404), not the pause.
    notify = reverse("payments:notify", args=["no-such-channel"])
    assert client.post(notify, b"{}", content_type="application/json").status_code == 404
    for path in ("/sandbox/", "/healthz", "/readyz", "/metrics", "/static/gaokao/site.css"):
        assert client.get(path).status_code != 503, path


def test_e3_a_paused_save_says_it_was_not_saved(client, province_user, candidate):
    sign_in(client, candidate)
    pause(client, province_user, "portal")
    response = client.post(reverse("portal:data"), {"name": "whatever"})
    assert_paused(response)
    assert 'data-testid="unsaved"' in response.content.decode()
    # A page that is only read says nothing about unsaved data.
    assert 'data-testid="unsaved"' not in client.get(reverse("portal:data")).content.decode()


def test_e3_htmx_requests_reload_the_page_to_show_the_pause(client, province_user, county_user):
    pause(client, province_user, "office")
    client.force_login(county_user)
    response = client.get(reverse("office:home"), HTTP_HX_REQUEST="true")
    assert response.status_code == 503 and response["HX-Refresh"] == "true"


def test_e3_lifting_the_pause_opens_each_part_again(client, province_user, county_user):
    pause(client, province_user, "both")
    resume(client, province_user, "portal")
    assert client.get(reverse("portal:login")).status_code == 200
    client.force_login(county_user)
    assert client.get(reverse("office:home")).status_code == 503
    resume(client, province_user, "office")
    client.force_login(county_user)
    assert client.get(reverse("office:home")).status_code == 200


def test_e3_pause_and_resume_are_audited(client, province_user):
    pause(client, province_user, "both")
    resume(client, province_user, "both")
    paused = AuditEvent.objects.get(action=Action.PAUSED)
    assert paused.actor == province_user
    assert paused.detail == {"scopes": ["portal", "office"], "message": MESSAGE}
    lifted = AuditEvent.objects.get(action=Action.RESUMED)
    assert lifted.actor == province_user
    assert sorted(lifted.detail["scopes"]) == ["office", "portal"]


def test_e3_pausing_again_changes_the_message_and_keeps_the_start(client, province_user):
    pause(client, province_user, "portal")
    first = Pause.objects.get()
    pause(client, province_user, "portal", message="延长维护至 15:00。")
    again = Pause.objects.get()
    assert again.since == first.since and again.message == "延长维护至 15:00。"


def test_e3_a_pause_needs_a_message(client, province_user):
    response = pause(client, province_user, "portal", message="   ")
    assert response.status_code == 200 and response.context["pause_form"].errors
    assert not Pause.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.PAUSED).exists()


def test_e3_lifting_what_is_not_paused_changes_nothing(client, province_user):
    resume(client, province_user, "both")
    assert not AuditEvent.objects.filter(action=Action.RESUMED).exists()


def test_e3_another_server_obeys_the_database_within_seconds(client, province_user):
    """Another app server writes the pause; this process's cached read lasts at most
    CACHE_SECONDS, then the database wins — both ways."""
    with time_machine.travel(aware(2024, 11, 1, 9), tick=False) as clock:
        assert client.get(reverse("portal:login")).status_code == 200  # read and cached
        Pause.objects.create(scope="portal", message=MESSAGE, since=aware(2024, 11, 1, 9))
        clock.shift(services.CACHE_SECONDS + 1)
        assert_paused(client.get(reverse("portal:login")))
        Pause.objects.all().delete()  # lifted on the other server
        clock.shift(services.CACHE_SECONDS + 1)
        assert client.get(reverse("portal:login")).status_code == 200


def test_e3_clearing_this_process_cache_shows_the_database_state(client):
    assert client.get(reverse("portal:login")).status_code == 200
    Pause.objects.create(scope="portal", message=MESSAGE, since=aware(2024, 11, 1, 9))
    services.forget_cached_state()
    assert_paused(client.get(reverse("portal:login")))


@pytest.mark.parametrize("user", ["city_user", "county_user", "point_user"])
def test_e3_only_the_province_may_pause(client, request, user):
    client.force_login(request.getfixturevalue(user))
    assert client.post(reverse("gate:pause"), {"scope": "both", "message": "x"}).status_code == (
        403
    )
    assert client.post(reverse("gate:resume"), {"scope": "both"}).status_code == 403
    assert not Pause.objects.exists()
