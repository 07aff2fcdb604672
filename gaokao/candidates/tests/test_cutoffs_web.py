"""Through the office web (issue 19): a point's change after its cut-off is refused with
a message naming the cut-off and its moment, and the form keeps what was typed."""

import datetime as dt

import pytest
from django.urls import reverse

from gaokao.candidates import services
from gaokao.candidates.tests.conftest import card
from gaokao.codes.models import RegistrationFee
from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import add_phase, aware

pytestmark = pytest.mark.django_db


def test_r2_4_a_points_post_after_its_cutoff_is_refused_with_the_cutoff(
    client, season, point, ranges, point_user
):
    taken = services.take_in_from_card(season, point, "5", card(1), by=point_user)
    RegistrationFee.objects.create(season=season, subject_track="5", fee_fen=12000)
    phase = add_phase(
        season, PhaseKind.CITY_ALL, opens=dt.date(2019, 10, 28), closes=dt.date(2019, 12, 10)
    )
    phase.point_cutoff = aware(2019, 10, 31, 18, 0)  # passed: "today" is 1 Nov
    phase.save()
    client.force_login(point_user)
    form = {
        "version": taken.version,
        "documents_received": "on",
        "fee_yuan": "paid",
        "fee_receipt": "R-1",
        "eligibility": "eligible",
    }
    page = client.post(reverse("candidates:checks", args=[taken.pk]), form)
    assert page.status_code == 200
    assert "报名点的" in page.text and "10月31日 18:00截止" in page.text
    assert 'value="R-1"' in page.text  # what was typed is kept
    taken.refresh_from_db()
    assert not taken.point_checks_done
