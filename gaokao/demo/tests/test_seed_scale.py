"""`gaokao seed-scale` (issue 11, E1): a province at scale for the benchmarks, at a tiny size."""

from collections import Counter
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext

from gaokao.candidates.models import Candidate, Stage
from gaokao.demo.scale import CONFIRMATION_PASSWORD, PHOTO_NAME, PORTAL_PASSWORD, seed_scale
from gaokao.numbering.models import NumberRange
from gaokao.photos.models import CandidatePhoto
from gaokao.privacy import crypto
from gaokao.regions.models import Region, RegistrationPoint

pytestmark = pytest.mark.django_db

SIZE = 500


@pytest.fixture
def seeded():
    return seed_scale(SIZE, points_per_county=2)


def test_e1_seed_scale_builds_the_counts_and_spread_asked_for(seeded):
    counties = Region.objects.filter(level="county").count()
    candidates = Candidate.objects.filter(season=seeded.season)
    assert seeded.season.is_current
    assert candidates.count() == SIZE == seeded.total["candidates"]
    assert RegistrationPoint.objects.count() == 2 * counties
    per_county = Counter(candidates.values_list("point__county", flat=True))
    assert set(per_county.values()) <= {SIZE // counties, SIZE // counties + 1}
    tracks = Counter(candidates.values_list("subject_track", flat=True))
    assert tracks.most_common(1)[0][0] == "5" and len(tracks) >= 5
    assert {Stage.POINT, Stage.COUNTY} <= set(candidates.values_list("stage", flat=True))
    assert len(set(candidates.values_list("review_state", flat=True))) >= 2
    assert candidates.exclude(confirmation_password="").count() > SIZE // 2
    assert candidates.filter(portal_password="").exists()  # some have no login card yet
    assert set(CandidatePhoto.objects.values_list("normalised", flat=True)) == {PHOTO_NAME}
    assert CandidatePhoto.objects.filter(is_current=True).count() == SIZE


def test_e1_seeded_id_numbers_are_encrypted_with_their_blind_index(seeded):
    candidate = Candidate.objects.order_by("registration_number").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number FROM candidates_candidate WHERE id = %s",
            [Candidate._meta.pk.get_db_prep_value(candidate.pk, connection)],
        )
        assert crypto.is_encrypted(cursor.fetchone()[0])
    assert candidate.id_number_index == crypto.blind_index(candidate.id_number)
    assert Candidate.objects.filter(id_number_index=candidate.id_number_index).get() == candidate


def test_e1_a_seeded_candidate_signs_in_and_saves_with_the_known_passwords(seeded, client):
    candidate = Candidate.objects.filter(
        stage=Stage.POINT, subject_track="5", data_saved_at__isnull=False
    ).first()
    response = client.post(
        reverse("portal:login"),
        {"registration_number": candidate.registration_number, "password": PORTAL_PASSWORD},
    )
    assert response.status_code == 302 and response.url == reverse("portal:status")
    assert client.get(reverse("portal:status")).status_code == 200
    page = client.get(reverse("portal:data"))
    assert page.status_code == 200
    form = page.context["form"]
    posted = {name: form.initial.get(name) or "" for name in form.fields}
    posted |= {"mobile": "13900000000", "confirmation_password": CONFIRMATION_PASSWORD}
    for prefix in ("resume", "family"):
        posted |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    response = client.post(reverse("portal:data"), posted)
    assert response.status_code == 302, response.context and response.context["refusal"]
    candidate.refresh_from_db()
    assert candidate.mobile == "13900000000"


def test_e1_a_second_seeding_adds_nothing(seeded):
    out = StringIO()
    call_command("seed_scale", candidates=SIZE, points_per_county=2, stdout=out)
    assert Candidate.objects.count() == SIZE
    assert NumberRange.objects.count() == seeded.total["number ranges"]
    lines = {line.split()[0]: line.split()[1:] for line in out.getvalue().splitlines() if line}
    assert lines[gettext("candidates")] == ["0", f"{SIZE}"]


def test_e1_number_ranges_cover_every_seeded_number(seeded):
    ranges = {r.pk: r for r in NumberRange.objects.select_related("point__county", "subject_track")}
    assert Candidate.objects.count() == SIZE  # the loop below checks every one of them
    for c in Candidate.objects.all():
        r = ranges[c.number_range_id]
        serial = int(c.registration_number[4:])
        assert r.point_id == c.point_id and r.subject_track.code == c.subject_track
        assert c.registration_number[:4] == r.point.county.registration_code
        assert r.first <= serial < r.next_serial <= r.last + 1
    by_county = {}
    for r in ranges.values():
        by_county.setdefault(r.point.county_id, []).append((r.first, r.last))
    for spans in by_county.values():
        spans.sort()
        assert all(a[1] < b[0] for a, b in pairwise(spans))
