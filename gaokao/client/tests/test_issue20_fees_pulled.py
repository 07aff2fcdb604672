"""Issue 20: the registration fees come down with the configuration. A point records a
candidate's fee as paid, never typing the amount (S5), and the amount is the province's
fee for the subject track; a point client that did not know the fees could not record a
fee at all, so no login card could be printed on it, offline or not."""

import json

import pytest

from gaokao.client import sync
from gaokao.client.tests.conftest import SERVER, server
from gaokao.client.tests.test_r4_pull import FakePull, config, far_client  # noqa: F401
from gaokao.codes.models import RegistrationFee
from gaokao.office.candidates.forms import PointChecksForm
from gaokao.seasons.models import Season
from gaokao.testing.factories import CandidateFactory

pytestmark = pytest.mark.django_db


def with_fees(fees):
    cfg = config()
    cfg["season"]["fees"] = fees
    return {"cursor": "c1", "more": False, "config": cfg, "candidates": []}


def test_s5_issue20_the_pull_carries_the_seasons_fees(enrolled, season, token):
    RegistrationFee.objects.create(season=season, subject_track="5", fee_fen=4000)

    status, _headers, body = server(
        "GET", f"{SERVER}/api/v1/pull", {"Authorization": f"Device {token}"}, None
    )

    assert status == 200, body
    assert json.loads(body)["config"]["season"]["fees"] == [{"track": "5", "fee_fen": 4000}]


def test_s5_issue20_the_client_keeps_the_fees_and_offers_paid(far_client):  # noqa: F811
    assert sync.sync_once(FakePull([with_fees([{"track": "5", "fee_fen": 4000}])])).ok

    season = Season.objects.get(pk=990)
    assert list(RegistrationFee.objects.values_list("season", "subject_track", "fee_fen")) == [
        (season.pk, "5", 4000)
    ]
    candidate = CandidateFactory.build(season=season, subject_track="5", fee_fen=None)
    form = PointChecksForm(candidate=candidate)
    assert ("paid", "Paid: 40.00 yuan") in form.fields["fee_yuan"].choices

    # The province changes the fee, then drops the track's fee: the client follows.
    assert sync.sync_once(FakePull([with_fees([{"track": "5", "fee_fen": 5000}])])).ok
    assert RegistrationFee.objects.get().fee_fen == 5000
    assert sync.sync_once(FakePull([with_fees([])])).ok
    assert not RegistrationFee.objects.exists()
