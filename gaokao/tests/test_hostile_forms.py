"""Issue 10 §5: the hostile-input corpus (gaokao.testing.hostile) thrown at every form that
saves text — the candidate's data in the portal and keyed from paper, comments, notices,
incidents, extension reasons, the pause message, account names, the point's checks, manual
intake and reviews. For every value: no 500; either a clear refusal that saves nothing, or
the text stored cleaned (no bidi override, zero-width character, NUL or other control
character); and wherever it is shown, markup comes out escaped, never raw."""

import datetime as dt

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from gaokao.accounts.models import StaffUser
from gaokao.candidates.models import Candidate, FamilyMember, ResumeEntry, ReviewState
from gaokao.codes.models import RegistrationFee
from gaokao.comments.models import Comment, CommentTemplate
from gaokao.gate.models import Pause
from gaokao.incidents.models import Incident
from gaokao.notices.models import Notice
from gaokao.seasons.models import Extension
from gaokao.testing import hostile
from gaokao.testing.factories import CandidateFactory, resident_id

pytestmark = pytest.mark.django_db

CORPUS = [*hostile.hostile_texts(), ("overlong", hostile.OVERLONG)]
LOGIN, CONFIRM = "k7Pm3xQw9aZr", "confirm-secret-7"


def assert_shown_escaped(html: str) -> None:
    """Markup from the corpus never reaches a page raw."""
    assert "<script>alert" not in html
    assert "<img src=x onerror" not in html


def assert_clean(*values: str) -> None:
    for value in values:
        assert hostile.is_clean(value), repr(value[:80])


def outcome(response) -> str:
    """'saved' (a redirect), 'refused' (the page again, with a message), never a 5xx."""
    assert response.status_code < 500, response.status_code
    if response.status_code in (301, 302, 303):
        return "saved"
    assert response.status_code in (200, 400, 403, 409), response.status_code
    html = response.content.decode()
    assert_shown_escaped(html)
    assert "invalid-feedback" in html or "alert-danger" in html or "errorlist" in html, (
        "a refusal says why"
    )
    return "refused"


# ── the candidate's own data: the portal, and keyed from a paper form ────────────────


def data_form(candidate, text: str) -> dict:
    """The form with `text` in every free-text field, cut to the field's length (except the
    overlong text, which must be refused as it is)."""

    def fit(limit: int) -> str:
        return text if text is hostile.OVERLONG else text[:limit]

    return {
        "version": candidate.version,
        "political_status": "",
        "candidate_category": "",
        "household_type": "",
        "household_region": "430102",
        "disability_category": "",
        "accommodations": fit(200),
        "graduation_type": "",
        "school": "",
        "student_number": "",
        "proficiency_number": "",
        "foreign_language": "",
        "mobile": "13912345678",
        "phone": "",
        "specialties": fit(500),
        "awards": fit(500),
        "resume-TOTAL_FORMS": "1",
        "resume-INITIAL_FORMS": "0",
        "resume-MIN_NUM_FORMS": "0",
        "resume-MAX_NUM_FORMS": "12",
        "resume-0-start": "2014-09",
        "resume-0-end": "2017-06",
        "resume-0-school_or_employer": fit(60),
        "resume-0-role": "学生",
        "family-TOTAL_FORMS": "1",
        "family-INITIAL_FORMS": "0",
        "family-MIN_NUM_FORMS": "0",
        "family-MAX_NUM_FORMS": "12",
        "family-0-name": fit(20),
        "family-0-relation": "父亲",
        "family-0-employer": fit(60),
        "family-0-phone": "0731-1234567",
        "confirmation_password": CONFIRM,
    }


def stored_data(candidate) -> list[str]:
    candidate.refresh_from_db()
    rows = [
        *ResumeEntry.objects.filter(candidate=candidate).values_list("school_or_employer", "role"),
        *FamilyMember.objects.filter(candidate=candidate).values_list("name", "employer"),
    ]
    return [candidate.accommodations, candidate.specialties, candidate.awards] + [
        v for row in rows for v in row
    ]


def test_e3_hostile_corpus_in_the_portal_data_form(client, season, point):
    candidate = CandidateFactory(
        season=season,
        point=point,
        portal_password=make_password(LOGIN),
        confirmation_password=make_password(CONFIRM),
    )
    signed_in = client.post(
        reverse("portal:login"),
        {"registration_number": candidate.registration_number, "password": LOGIN},
    )
    assert signed_in.status_code == 302
    saved = 0
    for name, text in CORPUS:
        before = stored_data(candidate)
        result = outcome(client.post(reverse("portal:data"), data_form(candidate, text)))
        after = stored_data(candidate)
        if result == "refused":
            assert after == before, name  # nothing partially saved
            continue
        saved += 1
        assert_clean(*after)
        for page in ("portal:data", "portal:proofreading"):
            html = client.get(reverse(page)).content.decode()
            assert_shown_escaped(html)
        if "<script>" in text:
            shown = client.get(reverse("portal:proofreading")).content.decode()
            assert escape(hostile.SCRIPT) in shown
        pdf = client.get(reverse("portal:proofreading-pdf"))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), name
    assert saved >= 10  # most of the corpus is text a person may really type


def test_e3_hostile_corpus_keyed_from_a_paper_form(client, season, point, point_user):
    candidate = CandidateFactory(season=season, point=point)
    client.force_login(point_user)
    url = reverse("client:paper", args=[candidate.pk])
    saved = 0
    for name, text in CORPUS:
        before = stored_data(candidate)
        result = outcome(client.post(url, data_form(candidate, text)))
        after = stored_data(candidate)
        if result == "refused":
            assert after == before, name
            continue
        saved += 1
        assert_clean(*after)
        assert_shown_escaped(client.get(url).content.decode())
        detail = client.get(reverse("candidates:detail", args=[candidate.pk]))
        assert_shown_escaped(detail.content.decode())
    assert saved >= 10


# ── the point's work on a candidate: intake by hand, checks, review ───────────────────


def test_e3_hostile_corpus_as_a_name_keyed_in_at_manual_intake(client, season, point, point_user):
    from gaokao.codes.models import Code, Table
    from gaokao.numbering.models import NumberRange

    NumberRange.objects.create(
        season=season,
        point=point,
        subject_track=Code.objects.get(table=Table.SUBJECT_TRACK, code="5"),
        first=1,
        last=200,
        next_serial=1,
    )
    client.force_login(point_user)
    saved = 0
    for n, (name, text) in enumerate(CORPUS):
        number = resident_id(500 + n)
        count = Candidate.objects.count()
        result = outcome(
            client.post(
                reverse("candidates:manual"),
                {
                    "subject_track": "5",
                    "path": "other_document",
                    "document_type": "1",
                    "id_number": number,
                    "name": text,
                    "sex": "1" if int(number[16]) % 2 else "2",
                    "ethnicity": "01",
                    "birth_date": "2002-03-15",
                },
            )
        )
        if result == "refused":
            assert Candidate.objects.count() == count, name
            continue
        saved += 1
        candidate = Candidate.objects.latest("created_at")
        assert candidate.name and hostile.is_clean(candidate.name), name
        detail = client.get(reverse("candidates:detail", args=[candidate.pk]))
        assert_shown_escaped(detail.content.decode())
        listing = client.get(reverse("candidates:list"))
        assert_shown_escaped(listing.content.decode())
    assert saved >= 10


def test_e3_hostile_corpus_in_the_point_checks_and_the_review(
    client, season, point, point_user, county_user
):
    candidate = CandidateFactory(
        season=season, point=point, eligibility_path="migrant", review_state=ReviewState.PENDING
    )
    RegistrationFee.objects.create(
        season=season, subject_track=candidate.subject_track, fee_fen=4000
    )
    client.force_login(point_user)
    url = reverse("candidates:checks", args=[candidate.pk])
    saved = 0
    for _name, text in CORPUS:
        candidate.refresh_from_db()
        before = (candidate.fee_receipt, candidate.eligibility_note, candidate.version)
        result = outcome(
            client.post(
                url,
                {
                    "version": candidate.version,
                    "documents_received": "on",
                    "fee_yuan": "paid",  # the configured fee, 40 yuan
                    "fee_receipt": text,
                    "eligibility": "ineligible",
                    "note": text,
                },
            )
        )
        candidate.refresh_from_db()
        if result == "refused":
            assert (candidate.fee_receipt, candidate.eligibility_note, candidate.version) == before
            continue
        saved += 1
        assert_clean(candidate.fee_receipt, candidate.eligibility_note)
        assert_shown_escaped(client.get(reverse("candidates:detail", args=[candidate.pk])).text)
    assert saved >= 10
    client.force_login(county_user)
    for _name, text in CORPUS:
        result = outcome(
            client.post(
                reverse("candidates:review", args=[candidate.pk]),
                {"decision": "reject", "reason": text},
            )
        )
        candidate.refresh_from_db()
        if result == "saved" and candidate.review_state == ReviewState.REJECTED:
            assert_clean(candidate.review_reason)
            assert_shown_escaped(client.get(reverse("candidates:detail", args=[candidate.pk])).text)
            break
    else:
        pytest.fail("no reason of the corpus was taken for a rejection")


# ── comments ──────────────────────────────────────────────────────────────────────────


def test_e3_hostile_corpus_in_comments(client, season, point, point_user):
    candidate = CandidateFactory(season=season, point=point)
    client.force_login(point_user)
    prefix = f"c{candidate.pk.hex}"
    saved = 0
    for name, text in CORPUS:
        comment = Comment.objects.filter(candidate=candidate).first()
        before = comment.text if comment else None
        response = client.post(
            reverse("comments:batch"),
            {
                "row": str(candidate.pk),
                f"{prefix}-version": comment.version if comment else 0,
                f"{prefix}-text": text,
                f"initial-{prefix}-text": before or "",
            },
        )
        result = outcome(response)
        comment = Comment.objects.filter(candidate=candidate).first()
        if result == "refused":
            assert (comment.text if comment else None) == before, name
            continue
        saved += 1
        if comment is not None:
            assert_clean(comment.text)
            assert "\n" not in comment.text  # a comment is one paragraph
        assert_shown_escaped(client.get(reverse("comments:batch")).content.decode())
    assert saved >= 10
    for name, text in CORPUS:
        count = CommentTemplate.objects.count()
        result = outcome(
            client.post(reverse("comments:templates"), {"title": text[:30], "text": text})
        )
        if result == "refused":
            assert CommentTemplate.objects.count() == count, name
        for template in CommentTemplate.objects.all():
            assert_clean(template.title, template.text)
        assert_shown_escaped(client.get(reverse("comments:templates")).content.decode())
        batch = client.get(reverse("comments:batch")).content.decode()
        assert_shown_escaped(batch)  # the picker's texts travel as JSON: "\u003C"
    assert CommentTemplate.objects.count() >= 10


# ── the offices' texts: notices, incidents, extensions, pauses, accounts ─────────────


def test_e3_hostile_corpus_in_notices(client, county_user):
    client.force_login(county_user)
    saved = 0
    for name, text in CORPUS:
        count = Notice.objects.count()
        result = outcome(client.post(reverse("notices:new"), {"title": text[:200], "body": text}))
        if result == "refused":
            assert Notice.objects.count() == count, name
            continue
        saved += 1
        notice = Notice.objects.latest("pk")
        assert_clean(notice.title, notice.body)
        html = client.get(reverse("notices:detail", args=[notice.pk])).content.decode()
        assert_shown_escaped(html)
        if "<script>" in text:
            assert escape(hostile.SCRIPT) in html
        assert_shown_escaped(client.get(reverse("notices:list")).content.decode())
    assert saved >= 10


def test_e3_hostile_corpus_in_incidents(client, point_user, county_user):
    client.force_login(point_user)
    incident, saved = None, 0
    for name, text in CORPUS:
        count = Incident.objects.count()
        result = outcome(
            client.post(
                reverse("incidents:new"),
                {
                    "kind": "network",
                    "severity": "serious",
                    "started_at": "2019-11-05T09:00",
                    "description": text,
                },
            )
        )
        if result == "refused":
            assert Incident.objects.count() == count, name
            continue
        saved += 1
        incident = Incident.objects.latest("pk")
        assert_clean(incident.description)
        html = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
        assert_shown_escaped(html)
    assert saved >= 10
    client.force_login(county_user)
    for _name, text in CORPUS:
        response = client.post(
            reverse("incidents:comment", args=[incident.pk]), {"comment-text": text}
        )
        assert response.status_code < 500
        html = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
        assert_shown_escaped(html)
    entries = list(incident.entries.exclude(text=""))
    assert len(entries) >= 10
    for entry in entries:
        assert_clean(entry.text)


def test_e3_hostile_corpus_in_extension_reasons(client, season, province_user, county):
    from gaokao.seasons.models import PhaseKind

    client.force_login(province_user)
    phase = season.phases.get(kind=PhaseKind.MAIN)
    saved = 0
    for name, text in CORPUS:
        count = Extension.objects.count()
        result = outcome(
            client.post(
                reverse("seasons:extensions"),
                {
                    "phase": phase.pk,
                    "regions": [county.pk],
                    "closes_on": (dt.date(2019, 11, 20)).isoformat(),
                    "closes_at_time": "",
                    "reason": text,
                },
            )
        )
        if result == "refused":
            assert Extension.objects.count() == count, name
            continue
        saved += 1
        for extension in Extension.objects.all():
            assert_clean(extension.reason)
            assert "\n" not in extension.reason
        assert_shown_escaped(client.get(reverse("seasons:extensions")).content.decode())
    assert saved >= 10


def test_e3_hostile_corpus_as_the_pause_message(client, province_user):
    client.force_login(province_user)
    saved = 0
    for name, text in CORPUS:
        before = list(Pause.objects.values_list("message", flat=True))
        result = outcome(client.post(reverse("gate:pause"), {"scope": "portal", "message": text}))
        if result == "refused":
            assert list(Pause.objects.values_list("message", flat=True)) == before, name
            continue
        saved += 1
        pause = Pause.objects.get(scope="portal")
        assert_clean(pause.message)
        assert_shown_escaped(client.get(reverse("gate:index")).content.decode())
        paused = Client().get(reverse("portal:login"))  # what every candidate sees now
        assert paused.status_code == 503
        assert_shown_escaped(paused.content.decode())
        if "<script>" in text:
            assert escape(hostile.SCRIPT) in paused.content.decode()
    assert saved >= 10


def test_e3_hostile_corpus_as_an_account_name(client, county_user, point):
    client.force_login(county_user)
    saved = 0
    for n, (name, text) in enumerate(CORPUS):
        count = StaffUser.objects.count()
        response = client.post(
            reverse("accounts:new"),
            {
                "unit": str(point.pk),
                "real_name": text,
                "id_number": resident_id(700 + n, birth="19850101"),
                "mobile": "13912345678",
            },
        )
        assert response.status_code in (200, 302)  # the form again, or the new account's slip
        if response.status_code == 302:
            response = client.get(response.url)
        assert_shown_escaped(response.content.decode())
        if StaffUser.objects.count() == count:
            assert "invalid-feedback" in response.content.decode(), name
            continue
        saved += 1
        account = StaffUser.objects.latest("pk")
        assert account.real_name and hostile.is_clean(account.real_name), name
        assert_shown_escaped(client.get(reverse("accounts:list")).content.decode())
    assert saved >= 10


# ── bytes that are not UTF-8, and hostile query strings ──────────────────────────────

LISTS = [
    ("candidates:list", "point_user"),
    ("comments:batch", "point_user"),
    ("incidents:list", "county_user"),
    ("notices:list", "county_user"),
    ("audit:events", "county_user"),
    ("progress:dashboard", "county_user"),
    ("progress:list", "county_user"),
    ("proofreading:batch", "point_user"),
    ("submission:index", "county_user"),
    ("payments-office:report", "county_user"),
]


PARAMS = ("q", "page", "point", "status", "kind", "severity", "city", "subject_track", "missing")


def test_e3_hostile_query_strings_on_the_lists_are_ignored_or_escaped(
    client, season, point_user, county_user
):
    users = {"point_user": point_user, "county_user": county_user}
    for name, user in LISTS:
        url = reverse(name)
        client.force_login(users[user])
        for value in [hostile.SCRIPT, hostile.STRINGS["sql_quote"], "\x00", "%FF", "9" * 400]:
            response = client.get(url, dict.fromkeys(PARAMS, value))
            assert response.status_code < 500, (name, value)
            assert_shown_escaped(response.content.decode())
        raw = client.get(url + "?q=%FF%FE%C0%AF&page=%00&point=%ED%A0%80")
        assert raw.status_code < 500, name


def test_e3_hostile_form_bodies_that_are_not_utf8_get_an_answer(client, county_user, province_user):
    client.force_login(county_user)
    bodies = [
        b"title=%FF%FE%C0%AF&body=%ED%A0%80",
        b"title=\xff\xfe&body=\xc0\xaf",
        hostile.INVALID_UTF8,
    ]
    for body in bodies:
        response = client.post(
            reverse("notices:new"), body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code < 500
        assert_shown_escaped(response.content.decode())
    for notice in Notice.objects.all():  # undecodable bytes arrive as U+FFFD, stored clean
        assert_clean(notice.title, notice.body)
    multipart = (
        b'--b\r\nContent-Disposition: form-data; name="title"\r\n\r\n\xff\xfe\x00\r\n'
        b'--b\r\nContent-Disposition: form-data; name="body"\r\n\r\n\xc0\xaf\r\n--b--\r\n'
    )
    response = client.post(
        reverse("notices:new"), multipart, content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code < 500
    client.force_login(province_user)
    response = client.post(
        reverse("gate:pause"),
        b"scope=portal&message=%FF%FE",
        content_type=("application/x-www-form-urlencoded"),
    )
    assert response.status_code < 500


@pytest.mark.parametrize("mobile", ["１３９１２３４５６７８", "1٣٩١٢٣٤٥٦٧٨", "1391234567８"])
def test_e3_hostile_digits_of_other_scripts_are_no_mobile_number(
    client, county_user, point, mobile
):
    client.force_login(county_user)
    count = StaffUser.objects.count()
    response = client.post(
        reverse("accounts:new"),
        {
            "unit": str(point.pk),
            "real_name": "王五",
            "id_number": resident_id(901, birth="19850101"),
            "mobile": mobile,
        },
    )
    assert response.status_code == 200 and "mobile" in response.context["form"].errors
    assert StaffUser.objects.count() == count
