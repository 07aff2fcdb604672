"""S7 and E6 in the office web: the batch page, printing, the candidate's page and its
forms; for the candidate's point and county only, everyone else refused and nothing
changed."""

import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Candidate, Stage
from gaokao.proofreading import services
from gaokao.proofreading.models import Confirmation, IdentityCheck, Printout
from gaokao.proofreading.services import State
from gaokao.proofreading.tests.conftest import change, new_photo
from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import CandidateFactory, PointFactory, add_phase, aware, staff_for

pytestmark = pytest.mark.django_db

WRITES = ("proofreading:signature", "proofreading:phone", "proofreading:identity")
PRINTS = ("proofreading:sheet", "proofreading:form")


def url(name, c):
    return reverse(name, args=[c.pk])


def pdf_pages(response) -> list[str]:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def phone_post(c, **fields):
    data = {
        "version": c.version,
        "called_by": "",
        "called_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "phone_number": "13812345678",
        "note": "电话逐项核对，无误",
    }
    data.update(fields)
    return data


def nothing_recorded():
    assert not Confirmation.objects.exists()
    assert not IdentityCheck.objects.exists()
    assert not Printout.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="proofreading.").exists()


# ── the batch page ─────────────────────────────────────────────────────────────────────


def test_s7_point_sees_its_candidates_with_their_state(
    client, candidate, keyed_in, season, point_user, other_point
):
    elsewhere = CandidateFactory(season=season, point=other_point)
    client.force_login(point_user)
    response = client.get(reverse("proofreading:batch"))
    assert response.status_code == 200
    shown = {c.pk for c in response.context["page"]}
    assert shown == {candidate.pk, keyed_in.pk}
    html = response.content.decode()
    assert elsewhere.name not in html
    counts = {value: n for value, _label, n in response.context["counts"]}
    assert counts[State.NOT_PRINTED] == 2

    filtered = client.get(reverse("proofreading:batch"), {"state": State.PRINTED})
    assert list(filtered.context["page"]) == []


def test_s7_county_sees_its_points_and_filters_by_point(
    client, candidate, season, county, county_user
):
    neighbour = CandidateFactory(season=season, point=PointFactory(county=county))
    client.force_login(county_user)
    everyone = client.get(reverse("proofreading:batch"))
    assert {c.pk for c in everyone.context["page"]} == {candidate.pk, neighbour.pk}
    one = client.get(reverse("proofreading:batch"), {"point": candidate.point.pk})
    assert [c.pk for c in one.context["page"]] == [candidate.pk]


def test_s7_batch_print_of_the_selection_is_one_pdf_page_each(
    client, season, point, codes, point_user
):
    batch = [CandidateFactory(season=season, point=point) for _ in range(4)]
    client.force_login(point_user)
    chosen = [str(c.pk) for c in batch[:3]] + ["not-a-key", ""]
    response = client.post(
        reverse("proofreading:print"),
        {"document": "sheet", "scope": "selected", "candidate": chosen},
    )
    texts = pdf_pages(response)
    assert len(texts) == 3
    for text, c in zip(texts, batch[:3], strict=True):
        assert c.name in text and c.registration_number in text
    assert set(Printout.objects.values_list("candidate", flat=True)) == {c.pk for c in batch[:3]}
    [event] = AuditEvent.objects.filter(action=Action.PROOFREAD_PRINTED)
    assert event.actor == point_user and event.point == point
    assert sorted(event.detail["numbers"]) == sorted(c.registration_number for c in batch[:3])
    assert all(services.state(c) == State.PRINTED for c in batch[:3])
    assert services.state(batch[3]) == State.NOT_PRINTED


def test_s7_batch_print_of_all_the_filters_choose(client, season, point, codes, point_user):
    batch = [CandidateFactory(season=season, point=point) for _ in range(3)]
    client.force_login(point_user)
    services.record_printed([(batch[0], batch[0].version)], document="sheet", by=point_user)
    response = client.post(
        reverse("proofreading:print"),
        {"document": "form", "scope": "all", "state": State.NOT_PRINTED},
    )
    assert len(pdf_pages(response)) == 2, "the one printed already is not chosen"


def test_s7_batch_print_refuses_nothing_chosen_and_unknown_documents(client, candidate, point_user):
    client.force_login(point_user)
    none = client.post(reverse("proofreading:print"), {"document": "sheet", "scope": "selected"})
    assert none.status_code == 302
    unknown = client.post(
        reverse("proofreading:print"),
        {"document": "../etc/passwd", "scope": "selected", "candidate": [str(candidate.pk)]},
    )
    assert unknown.status_code == 302
    nothing_recorded()


# ── one candidate ──────────────────────────────────────────────────────────────────────


def test_s7_print_then_record_the_signature(client, candidate, point_user):
    client.force_login(point_user)
    page = client.get(url("proofreading:candidate", candidate))
    assert page.status_code == 200
    assert page.context["state"] == State.NOT_PRINTED

    [text] = pdf_pages(client.post(url("proofreading:sheet", candidate)))
    assert candidate.name in text and candidate.registration_number in text
    response = client.post(url("proofreading:signature", candidate), {"version": candidate.version})

    assert response.status_code == 302
    assert services.is_proofread(candidate)
    assert services.state(candidate) == State.SIGNED
    assert client.get(url("proofreading:candidate", candidate)).context["confirmation"]


def test_s7_a_new_photo_after_the_signature_shows_the_confirmation_outdated(
    client, candidate, point_user
):
    client.force_login(point_user)
    client.post(url("proofreading:sheet", candidate))
    client.post(url("proofreading:signature", candidate), {"version": candidate.version})
    page = client.get(url("proofreading:candidate", candidate)).content.decode()
    assert "confirmation-outdated" not in page

    new_photo(candidate, point_user)

    page = client.get(url("proofreading:candidate", candidate))
    assert page.context["state"] == State.OUTDATED
    assert 'data-testid="confirmation-outdated"' in page.content.decode()


def test_s7_registration_form_download(client, candidate, county_user):
    client.force_login(county_user)
    [text] = pdf_pages(client.post(url("proofreading:form", candidate)))
    assert candidate.name in text
    [event] = AuditEvent.objects.filter(action=Action.PROOFREAD_PRINTED)
    assert event.detail["document"] == "form" and event.actor == county_user


def test_s7_downloads_and_writes_are_post_only(client, candidate, point_user):
    client.force_login(point_user)
    for name in (*WRITES, *PRINTS):
        assert client.get(url(name, candidate)).status_code == 405
    assert client.get(reverse("proofreading:print")).status_code == 405
    nothing_recorded()


def test_s7_writes_need_the_csrf_token(candidate, point_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(point_user)
    for name in (*WRITES, *PRINTS):
        assert client.post(url(name, candidate), {"version": candidate.version}).status_code == 403
    nothing_recorded()


def test_s7_a_stale_version_is_refused_and_the_input_kept(client, candidate, point_user):
    client.force_login(point_user)
    client.post(url("proofreading:sheet", candidate))
    old = candidate.version
    change(candidate, point_user)
    client.post(url("proofreading:sheet", candidate))

    response = client.post(
        url("proofreading:phone", candidate),
        phone_post(candidate, version=old, called_by=point_user.pk, note="保留的输入"),
    )

    assert response.status_code == 200
    form = response.context["phone_form"]
    assert any("moment ago" in e or "刚刚" in e for e in form.non_field_errors())
    assert form.data["note"] == "保留的输入"
    assert int(form.data["version"]) == Candidate.objects.get(pk=candidate.pk).version
    assert not Confirmation.objects.exists()


def test_e6_phone_confirmation_form(client, candidate, point_user):
    client.force_login(point_user)
    bad = client.post(
        url("proofreading:phone", candidate),
        phone_post(candidate, called_by=point_user.pk, phone_number="12345"),
    )
    assert bad.status_code == 200 and bad.context["phone_form"].non_field_errors()
    no_note = client.post(
        url("proofreading:phone", candidate),
        phone_post(candidate, called_by=point_user.pk, note=""),
    )
    assert no_note.context["phone_form"].errors["note"]
    assert not Confirmation.objects.exists()

    good = client.post(
        url("proofreading:phone", candidate), phone_post(candidate, called_by=point_user.pk)
    )
    assert good.status_code == 302
    assert services.state(candidate) == State.PHONE
    html = client.get(url("proofreading:candidate", candidate)).content.decode()
    assert "13812345678" in html and "电话逐项核对，无误" in html


def test_e6_the_caller_is_chosen_among_the_units_own_staff(client, candidate, point_user):
    outsider = staff_for(PointFactory(county=candidate.point.county))
    client.force_login(point_user)
    response = client.post(
        url("proofreading:phone", candidate), phone_post(candidate, called_by=outsider.pk)
    )
    assert response.context["phone_form"].errors["called_by"]
    assert not Confirmation.objects.exists()


def test_s7_identity_check_by_hand_on_the_page(client, keyed_in, point_user):
    client.force_login(point_user)
    page = client.get(url("proofreading:candidate", keyed_in))
    assert page.context["needs_check"] and page.context["blockers"]
    response = client.post(
        url("proofreading:identity", keyed_in),
        {"version": keyed_in.version, "note": "核对护照原件"},
    )
    assert response.status_code == 302
    assert services.identity_checked(keyed_in)
    assert not client.get(url("proofreading:candidate", keyed_in)).context["needs_check"]


def test_s7_a_submitted_record_is_read_only_for_the_point(client, candidate, point_user):
    client.force_login(point_user)
    client.post(url("proofreading:sheet", candidate))
    Printout.objects.all().delete()
    AuditEvent.objects.all().delete()
    Candidate.objects.filter(pk=candidate.pk).update(stage=Stage.COUNTY)

    page = client.get(url("proofreading:candidate", candidate))
    assert page.status_code == 200 and not page.context["may_write"]
    response = client.post(url("proofreading:signature", candidate), {"version": candidate.version})
    assert response.status_code == 200
    assert response.context["signature_form"].non_field_errors()
    nothing_recorded()


def test_s7_the_county_cannot_record_for_a_record_at_the_point(client, candidate, county_user):
    client.force_login(county_user)
    page = client.get(url("proofreading:candidate", candidate))
    assert page.status_code == 200 and not page.context["may_write"]
    response = client.post(
        url("proofreading:phone", candidate), phone_post(candidate, called_by=county_user.pk)
    )
    assert response.context["phone_form"].non_field_errors()
    assert not Confirmation.objects.exists()


@pytest.mark.parametrize("who", ["other_county_user", "other_point_user"])
def test_s7_another_countys_staff_get_404_everywhere_and_change_nothing(
    request, client, candidate, keyed_in, other_point, who
):
    user = staff_for(other_point) if who == "other_point_user" else request.getfixturevalue(who)
    client.force_login(user)
    for c in (candidate, keyed_in):
        assert client.get(url("proofreading:candidate", c)).status_code == 404
        for name in PRINTS:
            assert client.post(url(name, c)).status_code == 404
        for name in WRITES:
            data = phone_post(c, called_by=user.pk) | {"note": "x"}
            assert client.post(url(name, c), data).status_code == 404
    page = client.get(reverse("proofreading:batch"))
    assert page.status_code == 200 and list(page.context["page"]) == []
    printed = client.post(
        reverse("proofreading:print"),
        {"document": "sheet", "scope": "selected", "candidate": [str(candidate.pk)]},
    )
    assert printed.status_code == 302, "nobody visible is chosen: nothing printed"
    nothing_recorded()


def test_s7_city_and_province_staff_are_not_let_in(client, candidate, county):
    for unit in (county.parent, county.parent.parent):
        client.force_login(staff_for(unit))
        assert client.get(reverse("proofreading:batch")).status_code == 403
        assert client.get(url("proofreading:candidate", candidate)).status_code == 403


def test_s7_malformed_and_unknown_keys_answer_404(client, point_user, candidate):
    client.force_login(point_user)
    assert client.get("/office/proofreading/not-a-uuid/").status_code == 404
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(f"/office/proofreading/{missing}/").status_code == 404


def test_s9_issue19_after_the_points_cutoff_the_page_is_read_only_and_says_why(
    client, english, season, candidate
):
    phase = add_phase(
        season, PhaseKind.CITY_ALL, opens=dt.date(2019, 10, 28), closes=dt.date(2019, 12, 10)
    )
    phase.point_cutoff = aware(2019, 10, 31, 18, 0)
    phase.save()
    client.force_login(staff_for(candidate.point))

    page = client.get(url("proofreading:candidate", candidate)).content.decode()

    assert 'data-testid="read-only"' in page and "cut-off" in page
    assert f'action="{url("proofreading:signature", candidate)}"' not in page
