"""Lists, search results, the audit trail, messages and logs show ID numbers masked:
430***********123X (issue 10)."""

import json
import logging

import pytest
from django.template import Context, Template
from django.urls import reverse

from gaokao.audit.models import AuditEvent
from gaokao.candidates import services
from gaokao.candidates.services import IntakeRefused
from gaokao.candidates.tests.conftest import card
from gaokao.privacy.logging import MaskIdNumbers
from gaokao.privacy.masking import mask_id, mask_ids_in
from gaokao.testing.factories import CandidateFactory, resident_id


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("43010219850101123X", "430***********123X"),
        ("430102850101123", "430********1123"),  # 15-digit number of the first generation
        ("E12345678", "E1*****78"),  # a passport
        ("H1234567", "H1****67"),
        ("12345", "1***5"),
        ("1234", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_o4_privacy_mask_id_keeps_the_start_and_the_end_only(value, shown):
    assert mask_id(value) == shown


def test_o4_privacy_the_template_filter_masks():
    rendered = Template("{% load privacy %}{{ n|masked }}").render(
        Context({"n": "43010219850101123X"})
    )
    assert rendered == "430***********123X"


def test_o4_privacy_numbers_inside_text_are_masked_and_other_digits_kept():
    text = "card 43010219850101123x of 06540285, order 2019110112345678901234"
    assert mask_ids_in(text) == "card 430***********123x of 06540285, order 2019110112345678901234"


def test_o4_privacy_the_log_filter_masks_message_arguments_and_extras():
    record = logging.makeLogRecord(
        {"msg": "looked up %s", "args": ("43010219850101123X",), "who": "43010219850101123X"}
    )
    assert MaskIdNumbers().filter(record)
    assert record.getMessage() == "looked up 430***********123X"
    assert record.who == "430***********123X"


def test_o4_privacy_the_candidates_list_shows_the_number_masked(client, point_user, candidate):
    client.force_login(point_user)
    page = client.get(reverse("candidates:list")).content.decode()
    assert mask_id(candidate.id_number) in page and candidate.id_number not in page


def test_o4_privacy_search_by_id_number_is_exact_and_shows_it_masked(
    client, county_user, season, point
):
    wanted = CandidateFactory(season=season, point=point, id_number=resident_id(601))
    CandidateFactory(season=season, point=point, id_number=resident_id(602))
    client.force_login(county_user)
    url = reverse("candidates:list")
    found = client.get(url, {"q": wanted.id_number.lower()})
    assert [c.pk for c in found.context["page"]] == [wanted.pk]
    page = found.content.decode().replace(f'value="{wanted.id_number.lower()}"', "")
    assert wanted.id_number not in page and mask_id(wanted.id_number) in page
    assert list(client.get(url, {"q": wanted.id_number[:10]}).context["page"]) == []


def test_o4_privacy_the_proofreading_search_finds_by_the_index(client, point_user, candidate):
    client.force_login(point_user)
    found = client.get(reverse("proofreading:batch"), {"q": candidate.id_number})
    assert [c.pk for c in found.context["page"]] == [candidate.pk]


def test_o4_privacy_the_candidate_and_photo_pages_show_it_masked(client, county_user, candidate):
    client.force_login(county_user)
    for name in ("candidates:detail", "photos:candidate", "proofreading:candidate"):
        page = client.get(reverse(name, args=[candidate.pk])).content.decode()
        assert mask_id(candidate.id_number) in page and candidate.id_number not in page, name


def test_o4_privacy_a_card_of_someone_else_is_named_masked_in_the_refusal(
    main_window, season, point, ranges
):
    taken = services.take_in_from_card(season, point, "5", card(1), by=None)
    stranger = card(2)
    with pytest.raises(IntakeRefused) as refused:
        services.verify_with_card(taken, stranger, by=None)
    message = " ".join(refused.value.messages)
    assert mask_id(stranger.id_number) in message and stranger.id_number not in message


def test_o4_privacy_the_audit_trail_never_holds_a_full_number(
    main_window, client, season, point, ranges, point_user, county_user
):
    taken = services.take_in_from_card(season, point, "5", card(1), by=point_user)
    with pytest.raises(IntakeRefused):  # the same person again: refused, and recorded
        services.take_in_from_card(season, point, "5", card(1), by=point_user)
    client.force_login(county_user)
    client.post(reverse("candidates:reveal_id_number", args=[taken.pk]))  # recorded
    events = list(AuditEvent.objects.values())
    assert len(events) >= 3
    assert taken.id_number not in json.dumps(events, default=str)
    page = client.get(reverse("audit:events")).content.decode()
    assert taken.id_number not in page
