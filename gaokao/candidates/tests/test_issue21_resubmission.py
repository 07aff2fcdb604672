"""Issue 21, item 5: a manual-identity review (O1-O3) rejected with a reason is resubmitted
by the candidate's point, saying what it fixed or brought; the review awaits the office
again, and the office sees the chain of attempts. Only the candidate's point, only a
rejected review, never on the point client (the review state is the centre's)."""

import pytest
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates import services
from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.models import Candidate, EligibilityPath, IdentitySource, ReviewState
from gaokao.testing.factories import CandidateFactory, staff_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def migrant(season, point):
    return CandidateFactory(
        season=season,
        point=point,
        identity_source=IdentitySource.MANUAL,
        eligibility_path=EligibilityPath.MIGRANT,
        review_state=ReviewState.PENDING,
    )


def test_o1_issue21_a_rejected_review_is_resubmitted_and_the_chain_is_shown(
    client, english, migrant, point_user, county_user
):
    services.review(migrant, approve=False, reason="缺居住证明", by=county_user)
    client.force_login(point_user)
    page = client.get(reverse("candidates:detail", args=[migrant.pk])).content.decode()
    assert 'data-testid="resubmit-review"' in page
    version = Candidate.objects.get(pk=migrant.pk).version

    url = reverse("candidates:resubmit_review", args=[migrant.pk])
    client.post(url, {"version": version, "note": ""})  # no note: nothing changes
    assert Candidate.objects.get(pk=migrant.pk).review_state == ReviewState.REJECTED
    client.post(url, {"version": version, "note": "已补交居住证复印件"})

    resubmitted = Candidate.objects.get(pk=migrant.pk)
    assert resubmitted.review_state == ReviewState.PENDING
    event = AuditEvent.objects.get(action=Action.REVIEW_RESUBMITTED)
    assert event.detail["note"] == "已补交居住证复印件"
    assert event.detail["rejected_for"] == "缺居住证明"
    services.review(resubmitted, approve=True, reason="", by=county_user)
    client.force_login(county_user)
    page = client.get(reverse("candidates:detail", args=[migrant.pk])).content.decode()
    chain = page[page.index('data-testid="review-attempts"') :]
    assert chain.index("缺居住证明") < chain.index("已补交居住证复印件") < chain.index("Approved")
    assert Candidate.objects.get(pk=migrant.pk).review_state == ReviewState.APPROVED


def test_o1_issue21_only_a_rejected_review_of_the_points_own_candidate(
    client, english, migrant, point_user, other_point, county_user
):
    with pytest.raises(CandidateRefused, match="rejected"):
        services.resubmit_review(migrant, version=migrant.version, note="x", by=point_user)
    services.review(migrant, approve=False, reason="材料不全", by=county_user)
    version = Candidate.objects.get(pk=migrant.pk).version
    with pytest.raises(CandidateRefused):
        services.resubmit_review(migrant, version=version, note="x", by=staff_for(other_point))
    with pytest.raises(CandidateRefused):
        services.resubmit_review(migrant, version=version, note="x", by=county_user)
    client.force_login(staff_for(other_point))
    url = reverse("candidates:resubmit_review", args=[migrant.pk])
    assert client.post(url, {"version": version, "note": "x"}).status_code == 404
    client.force_login(county_user)
    assert client.post(url, {"version": version, "note": "x"}).status_code == 403
    assert Candidate.objects.get(pk=migrant.pk).review_state == ReviewState.REJECTED


def test_o1_issue21_a_stale_page_does_not_resubmit(english, migrant, point_user, county_user):
    services.review(migrant, approve=False, reason="材料不全", by=county_user)
    with pytest.raises(CandidateRefused, match="a moment ago"):
        services.resubmit_review(migrant, version=migrant.version, note="x", by=point_user)


def test_o1_issue21_the_point_client_sends_the_point_to_the_central_office_web(
    client, settings, migrant, point_user, county_user
):
    services.review(migrant, approve=False, reason="材料不全", by=county_user)
    settings.GAOKAO_MODE = "client"
    client.force_login(point_user)

    page = client.get(reverse("candidates:detail", args=[migrant.pk])).content.decode()

    assert 'data-testid="resubmit-on-server"' in page and "resubmit-review" not in page
    url = reverse("candidates:resubmit_review", args=[migrant.pk])
    assert client.post(url, {"version": 2, "note": "x"}).status_code == 404
