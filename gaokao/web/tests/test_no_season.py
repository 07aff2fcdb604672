"""No season is current (报名季未开放): every front end answers with its clear page, or
the sync API with its JSON error, never a 500 (gaokao.web.seasons)."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from gaokao.idcard.simulator import default_deck
from gaokao.seasons import NoCurrentSeason, current
from gaokao.sync import pull as sync_pull
from gaokao.testing.factories import SeasonFactory
from gaokao.web.seasons import STATUS, message

pytestmark = pytest.mark.django_db

CARD = default_deck(dt.date(2019, 11, 1))[0].identity  # a card the reader could send


@pytest.fixture
def former_season(county):
    """The last season is over: it stays, no longer current."""
    return SeasonFactory(province=county.parent.parent, is_current=False)


def read_card(client):
    body = json.dumps({"subject_track": "5", "card": CARD.to_json()})
    return client.post(reverse("candidates:intake_card"), body, content_type="application/json")


def assert_no_season_page(response, frame: str):
    assert response.status_code == STATUS
    html = response.content.decode()
    assert 'data-testid="no-season"' in html
    assert 'data-testid="unsaved"' in html  # it was a POST: nothing was saved
    assert frame in html
    assert "no-store" in response["Cache-Control"]


def test_current_is_the_one_contract(former_season):
    with pytest.raises(NoCurrentSeason):
        current()
    former_season.is_current = True
    former_season.save()
    assert current() == former_season


def test_office_id_card_intake_without_a_season_shows_the_page(client, point_user, former_season):
    client.force_login(point_user)
    assert_no_season_page(read_card(client), reverse("office:home"))


def test_point_client_pages_without_a_season_show_the_page(
    client, settings, point_user, former_season
):
    settings.GAOKAO_MODE = "client"  # the point client serves the office's point pages
    client.force_login(point_user)
    assert_no_season_page(read_card(client), reverse("office:home"))


def test_portal_sign_in_without_a_season_shows_the_page_in_the_portal(client, former_season):
    response = client.post(
        reverse("portal:login"), {"registration_number": "19430001", "password": "x" * 12}
    )
    assert_no_season_page(response, reverse("portal:login"))


def test_sync_api_answers_json_with_the_message(client, device, token, monkeypatch):
    def needs_a_season(*args, **kwargs):
        raise NoCurrentSeason

    # Today a pull works without a season (it says so in its answer); any endpoint that
    # meets NoCurrentSeason answers like this.
    monkeypatch.setattr(sync_pull, "pull", needs_a_season)
    response = client.get("/api/v1/pull", HTTP_AUTHORIZATION=f"Device {token}")
    assert response.status_code == STATUS
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": message()}
