"""Issue 21, item 6 (O1): a resident ID number of another province (its first two digits are
not the province's 43) is routed to the out-of-province path (外省户籍随迁子女) whatever way
it arrives: read from the card at the point, or pushed by a point client as a normal
intake. The county then reviews it with the residence documents; until it approves, no
login card is issued."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from gaokao.candidates import services
from gaokao.candidates.credentials import login_card_blockers
from gaokao.candidates.models import Candidate, EligibilityPath, IdentitySource, ReviewState
from gaokao.candidates.tests.conftest import card
from gaokao.idcard.cards import RESIDENT, CardIdentity
from gaokao.testing.factories import resident_id
from gaokao.testing.sync import create_change

pytestmark = pytest.mark.django_db

BEIJING = resident_id(7, area="110105", birth="20020315")  # 11: Beijing, odd: a man


def test_o1_a_card_of_another_province_is_taken_in_on_the_out_of_province_path(
    client, english, season, ranges, point_user, county_user
):
    client.force_login(point_user)
    read = CardIdentity(
        card_type=RESIDENT,
        name="外来生",
        sex="1",
        ethnicity="01",
        birth_date=dt.date(2002, 3, 15),
        id_number=BEIJING,
        issuing_authority="北京市公安局朝阳分局",
        valid_from=dt.date(2018, 1, 1),
        valid_until=dt.date(2028, 1, 1),
    )
    body = json.dumps({"subject_track": "5", "card": read.to_json()})

    answer = client.post(reverse("candidates:intake_card"), body, content_type="application/json")

    reply = answer.json()
    assert reply["ok"] is True and "not of this province" in reply["note"]
    taken = Candidate.objects.get(registration_number=reply["registration_number"])
    assert taken.eligibility_path == EligibilityPath.MIGRANT
    assert taken.review_state == ReviewState.PENDING
    assert taken.identity_source == IdentitySource.READER  # still read from the card
    assert login_card_blockers(taken)  # no card until the county approves
    assert services.may_review(county_user, taken)


def test_o1_a_hunan_card_stays_on_the_normal_path(season, point, ranges, point_user):
    taken = services.take_in_from_card(season, point, "5", card(1), by=point_user)

    assert taken.eligibility_path == EligibilityPath.NORMAL
    assert taken.review_state == ReviewState.NOT_REQUIRED


def test_o1_a_point_client_pushing_another_provinces_number_as_normal_is_routed(
    season, point, ranges, point_user, device, token, client
):
    change = create_change(point, 7, id_number=BEIJING, birth_date="2002-03-15")

    answer = client.post(
        "/api/v1/push",
        json.dumps({"changes": [change]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Device {token}",
    )

    assert answer.json()["results"][0]["status"] == "applied", answer.content
    pushed = Candidate.objects.get(pk=change["candidate"])
    assert pushed.eligibility_path == EligibilityPath.MIGRANT
    assert pushed.review_state == ReviewState.PENDING


def test_o1_a_manual_path_is_kept(season, point, ranges, point_user):
    identity = services.ManualIdentity(
        document_type="1",
        id_number=BEIJING,
        name="无证生",
        sex="1",
        ethnicity="01",
        birth_date=dt.date(2002, 3, 15),
    )
    taken = services.take_in_manually(
        season, point, "5", EligibilityPath.NO_CARD, identity, by=point_user
    )

    assert taken.eligibility_path == EligibilityPath.NO_CARD
