"""Issue 21, item 6 (O3): a candidate registered without a card goes on only once the new
card is read at the point, or by the city's decision recorded with its reason; a check by
hand alone is not enough. The decision is the city's, within its jurisdiction, audited, and
it reaches the point client with the pull."""

import pytest
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates import services
from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.models import Candidate, EligibilityPath, IdentitySource, ReviewState
from gaokao.proofreading import services as proofreading
from gaokao.proofreading.services import ProofreadingRefused
from gaokao.sync.pull import snapshot
from gaokao.testing.factories import CandidateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_card(season, point):
    """Keyed in without a card, approved by the city, no new card read yet."""
    return CandidateFactory(
        season=season,
        point=point,
        identity_source=IdentitySource.MANUAL,
        identity_verified_at=None,
        eligibility_path=EligibilityPath.NO_CARD,
        review_state=ReviewState.APPROVED,
    )


def test_o3_a_check_by_hand_is_not_enough_without_a_card(no_card, point_user):
    with pytest.raises(ProofreadingRefused, match="O3"):
        proofreading.record_identity_check(
            no_card, version=no_card.version, note="核对户口簿", by=point_user
        )

    assert not proofreading.identity_checked(no_card)
    assert any("O3" in b for b in proofreading.confirmation_blockers(no_card))


def test_o3_the_city_decides_with_a_reason_and_it_is_audited(
    client, english, no_card, city_user, point_user
):
    client.force_login(city_user)
    page = client.get(reverse("candidates:detail", args=[no_card.pk])).content.decode()
    assert 'data-testid="waive-card"' in page

    client.post(reverse("candidates:waive_card", args=[no_card.pk]), {"reason": ""})
    assert Candidate.objects.get(pk=no_card.pk).card_waived_at is None  # no reason, no decision

    answer = client.post(
        reverse("candidates:waive_card", args=[no_card.pk]), {"reason": "新证办理中，公安出具证明"}
    )

    assert answer.status_code == 302
    waived = Candidate.objects.get(pk=no_card.pk)
    assert waived.card_waived_by == city_user and waived.card_waived_reason.startswith("新证")
    assert waived.version == no_card.version + 1
    assert proofreading.identity_checked(waived)
    assert not proofreading.confirmation_blockers(waived)
    event = AuditEvent.objects.get(action=Action.CARD_WAIVED)
    assert event.actor == city_user and event.detail["reason"].startswith("新证")


def test_o3_only_the_city_of_the_candidate_decides(
    client, no_card, point_user, county_user, province_user, other_city_user
):
    for user, status in ((point_user, 403), (county_user, 403), (province_user, 403)):
        client.force_login(user)
        answer = client.post(reverse("candidates:waive_card", args=[no_card.pk]), {"reason": "x"})
        assert answer.status_code == status
    client.force_login(other_city_user)
    answer = client.post(reverse("candidates:waive_card", args=[no_card.pk]), {"reason": "x"})
    assert answer.status_code == 404
    with pytest.raises(CandidateRefused):
        services.waive_card_read(no_card, reason="x", by=other_city_user)
    assert Candidate.objects.get(pk=no_card.pk).card_waived_at is None


def test_o3_a_new_card_read_needs_no_decision_and_none_is_offered(client, no_card, city_user):
    Candidate.objects.filter(pk=no_card.pk).update(identity_verified_at=no_card.created_at)
    read = Candidate.objects.get(pk=no_card.pk)

    assert proofreading.identity_checked(read)
    assert not services.may_waive_card(city_user, read)
    with pytest.raises(CandidateRefused):
        services.waive_card_read(read, reason="x", by=city_user)


def test_o3_the_decision_reaches_the_point_client_with_the_pull(no_card, city_user):
    services.waive_card_read(no_card, reason="新证办理中", by=city_user)

    pulled = snapshot(Candidate.objects.get(pk=no_card.pk))

    assert pulled["card_waived_at"] and pulled["card_waived_reason"] == "新证办理中"
