"""Issue 20: a refusal is a page in the site's own frame with what to do next (back to the
home page, sign in, ask the county), never Django's bare "403 Forbidden" or "Not Found";
the sync API answers JSON (gaokao.web.errors)."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(english):
    """Messages are asserted in their source language."""


def refused_page(response, status: int) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert 'data-testid="refused"' in html and 'data-testid="next-steps"' in html
    assert "<h1>Forbidden" not in html and "<h1>Not Found" not in html
    return html


def test_r4_issue20_a_page_of_another_level_is_refused_with_what_to_do(client, point_user):
    client.force_login(point_user)
    html = refused_page(client.get(reverse("accounts:list")), 403)
    assert "You may not open this page" in html and "ask the county office" in html
    assert str(point_user.unit) in html  # who is signed in, and the way back
    assert f'href="{reverse("office:home")}"' in html
    assert 'data-testid="signed-in-as"' in html  # the office's own frame and navigation


def test_r4_issue20_another_countys_user_is_refused_as_a_page(client, other_county_user, point):
    client.force_login(other_county_user)
    response = client.get(reverse("office:point", args=[point.code]))
    html = refused_page(response, 404)  # outside the jurisdiction: as if it did not exist
    assert point.name not in html


def test_r4_issue20_an_unknown_address_says_so_and_offers_sign_in(client):
    html = refused_page(client.get("/office/no-such-page/"), 404)
    assert "This page does not exist" in html
    assert reverse("office:login") in html  # signed out: the next step is to sign in


def test_r4_issue20_the_portal_keeps_its_own_frame(client):
    html = refused_page(client.get("/ks/no-such-page/"), 404)
    assert "Candidates" in html  # the portal's header, not the office's
    assert f'href="{reverse("portal:login")}"' in html


def test_r4_issue20_the_sync_api_answers_json(client):
    response = client.get("/api/v1/no-such-operation")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_r4_issue20_an_expired_form_says_nothing_was_saved(point_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(point_user)
    response = client.post(reverse("office:logout"))  # without its CSRF token
    html = refused_page(response, 403)
    assert "nothing was saved" in html
