"""S8: points and counties enter comments on the batch screen — row by row, each row saved or
refused on its own, input kept, jurisdiction and the submission stage respected."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Stage
from gaokao.candidates.stage import Locked
from gaokao.comments import services
from gaokao.comments.models import COMMENT_LIMIT, Comment, CommentTemplate
from gaokao.comments.services import CommentRefused
from gaokao.office.comments.views import PAGE_SIZE
from gaokao.testing.factories import PointFactory, staff_for

pytestmark = pytest.mark.django_db

URL = reverse("comments:batch")


def prefix(candidate):
    return f"c{candidate.pk.hex}"


def row_data(candidate, text, *, version=None, initial=None):
    """What the page posts for one row, as if the user typed `text` into it."""
    comment = Comment.objects.filter(candidate=candidate).first()
    if version is None:
        version = comment.version if comment else 0
    if initial is None:
        initial = comment.text if comment else ""
    p = prefix(candidate)
    return {
        "row": str(candidate.pk),
        f"{p}-version": str(version),
        f"{p}-text": text,
        f"initial-{p}-text": initial,
    }


def post_rows(client, *rows, url=URL):
    data = {"row": [r["row"] for r in rows]}
    for r in rows:
        data.update({k: v for k, v in r.items() if k != "row"})
    return client.post(url, data)


def saved_text(candidate):
    comment = Comment.objects.filter(candidate=candidate).first()
    return comment.text if comment else None


# ── showing the screen ─────────────────────────────────────────────────────────────────


def test_s8_point_sees_its_candidates_with_a_field_each(client, point_user, candidate, foreign):
    client.force_login(point_user)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.text
    assert candidate.registration_number in html
    assert foreign.registration_number not in html
    assert f'name="{prefix(candidate)}-text"' in html
    assert f'name="initial-{prefix(candidate)}-text"' in html  # what "changed" is judged by
    # The only scripts: the page's static file and the templates as JSON data.
    scripts = re.findall(r"<script[^>]*>", html)
    assert all('src="' in s or 'type="application/json"' in s for s in scripts)
    assert "comments/batch.js" in html


def test_s8_rows_are_in_tab_order_row_by_row(client, point_user, make, point):
    a, b = make(point), make(point)
    client.force_login(point_user)
    html = client.get(URL).text
    positions = [
        html.index(f'id="template-{a.pk}"'),
        html.index(f'id="id_{prefix(a)}-text"'),
        html.index(f'id="template-{b.pk}"'),
        html.index(f'id="id_{prefix(b)}-text"'),
    ]
    assert positions == sorted(positions)
    assert "tabindex" not in html  # the document order is the tab order


def test_s8_template_picker_offers_own_and_county_templates_only(
    client, point_user, county_user, other_county_user, candidate
):
    services.create_template(title="良好", text="该生表现良好。", by=point_user)
    services.create_template(title="县级", text="遵纪守法。", by=county_user)
    services.create_template(title="外县", text="外县模板。", by=other_county_user)
    client.force_login(point_user)
    page = client.get(URL)
    options = page.context["templates"]
    assert [o["label"] for o in options] == ["良好", f"县级 · {county_user.region.name}"]
    assert set(page.context["template_texts"].values()) == {"该生表现良好。", "遵纪守法。"}
    assert "外县模板" not in page.text


def test_s8_county_filters_by_point_track_and_missing(client, county_user, county, make, point):
    second = PointFactory(county=county)
    a = make(point, subject_track="5")
    b = make(point, subject_track="1")
    c = make(second, subject_track="5")
    services.save_comment(a, text="已写", version=0, by=staff_for(point))
    client.force_login(county_user)

    def shown(**query):
        return [r.candidate for r in client.get(URL, query).context["rows"]]

    assert shown() == sorted([a, b, c], key=lambda x: x.registration_number)
    assert shown(point=second.pk) == [c]
    assert set(shown(subject_track="5")) == {a, c}
    assert set(shown(missing="on")) == {b, c}
    # A point of another county is not a choice: the filter is ignored, nothing leaks.
    other = PointFactory()
    response = client.get(URL, {"point": other.pk})
    assert "point" in response.context["filters"].errors


def test_s8_pages_of_fifty(client, point_user, make, point):
    for _ in range(PAGE_SIZE + 3):
        make(point)
    client.force_login(point_user)
    first = client.get(URL)
    assert len(first.context["rows"]) == PAGE_SIZE
    second = client.get(URL, {"page": 2})
    assert len(second.context["rows"]) == 3


def test_s8_only_points_and_counties_use_the_screen(client, county, candidate):
    city_user = staff_for(county.parent)
    client.force_login(city_user)
    assert client.get(URL).status_code == 403
    assert post_rows(client, row_data(candidate, "越权")).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302  # to the sign-in page
    assert not Comment.objects.exists()


# ── saving ─────────────────────────────────────────────────────────────────────────────


def test_s8_saving_writes_changed_rows_and_audits_each(client, point_user, make, point):
    a, b, c = make(point), make(point), make(point)
    client.force_login(point_user)
    response = post_rows(
        client, row_data(a, "品德良好。"), row_data(b, ""), row_data(c, "遵纪守法。")
    )
    assert response.status_code == 302
    assert response.url == URL
    assert (saved_text(a), saved_text(b), saved_text(c)) == ("品德良好。", None, "遵纪守法。")
    events = AuditEvent.objects.filter(action=Action.COMMENT_SAVED)
    assert events.count() == 2
    event = events.get(target=str(a))
    assert event.point == point and event.actor == point_user
    assert event.detail == {"before": "", "after": "品德良好。", "version": 1}
    assert services.has_comment(a) and not services.has_comment(b)


def test_s8_a_row_nobody_changed_is_not_rewritten(client, point_user, candidate):
    services.save_comment(candidate, text="原评语", version=0, by=point_user)
    client.force_login(point_user)
    before = AuditEvent.objects.count()
    response = post_rows(client, row_data(candidate, "原评语"))
    assert response.status_code == 302
    assert Comment.objects.get().version == 1
    assert AuditEvent.objects.count() == before


def test_s8_one_stale_row_and_one_good_row(client, point_user, make, point):
    stale, good = make(point), make(point)
    services.save_comment(stale, text="第一版", version=0, by=point_user)
    client.force_login(point_user)
    page_rows = [row_data(stale, "我的修改"), row_data(good, "新评语")]
    # Meanwhile a colleague saves the first row.
    colleague = staff_for(point)
    services.save_comment(stale, text="同事的修改", version=1, by=colleague)

    response = post_rows(client, *page_rows)
    assert response.status_code == 200
    assert saved_text(good) == "新评语"
    assert saved_text(stale) == "同事的修改"  # not overwritten
    rows = {r.candidate.pk: r for r in response.context["rows"]}
    refused = rows[stale.pk]
    assert refused.code == "stale" and refused.errors
    assert refused.form["text"].value() == "我的修改"  # the input is kept...
    assert refused.on_record == "同事的修改"  # ...beside what is on record now
    assert "我的修改" in response.text and "同事的修改" in response.text
    assert not rows[good.pk].errors

    # Saving again after checking is a deliberate overwrite, based on the version shown.
    again = {
        "row": str(stale.pk),
        f"{prefix(stale)}-version": refused.form["version"].value(),
        f"{prefix(stale)}-text": "我的修改",
        f"initial-{prefix(stale)}-text": "同事的修改",
    }
    assert post_rows(client, again).status_code == 302
    assert saved_text(stale) == "我的修改"
    assert Comment.objects.get(candidate=stale).version == 3


def test_s8_hostile_text_is_escaped_stripped_or_refused(client, point_user, make, point):
    script, rtl, long = make(point), make(point), make(point)
    client.force_login(point_user)
    overlong = "好" * (COMMENT_LIMIT + 1)
    response = post_rows(
        client,
        row_data(script, "<script>alert(1)</script>"),
        row_data(rtl, "品德\u202eegap\u200b良好\x1b[31m"),
        row_data(long, overlong),
    )
    assert response.status_code == 200  # one row refused
    assert saved_text(rtl) == "品德egap良好[31m"
    assert saved_text(long) is None
    rows = {r.candidate.pk: r for r in response.context["rows"]}
    assert rows[long.pk].code == "too_long" and "201" in rows[long.pk].errors[0]
    assert rows[long.pk].form["text"].value() == overlong  # kept to shorten
    assert saved_text(script) == "<script>alert(1)</script>"  # stored as typed...
    html = client.get(URL).text
    assert "<script>alert(1)</script>" not in html  # ...and never rendered as markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_s8_exactly_the_limit_is_accepted(point_user, candidate):
    assert services.save_comment(candidate, text="好" * COMMENT_LIMIT, version=0, by=point_user)
    with pytest.raises(CommentRefused) as refused:
        services.save_comment(candidate, text="好" * (COMMENT_LIMIT + 1), version=1, by=point_user)
    assert refused.value.code == "too_long"


def test_s8_submitted_record_is_read_only_for_the_point(client, point_user, make, point):
    submitted = make(point, stage=Stage.COUNTY)
    client.force_login(point_user)
    page = client.get(URL)
    row = page.context["rows"][0]
    assert not row.editable and row.form is None
    assert f'name="{prefix(submitted)}-text"' not in page.text
    # Posting it anyway is refused with the rule's message, and changes nothing.
    response = post_rows(client, row_data(submitted, "强行修改"))
    assert response.status_code == 200
    refused = response.context["rows"][0]
    assert refused.code == "locked" and refused.errors and not refused.editable
    assert refused.form["text"].value() == "强行修改"  # kept on screen to copy
    assert 'name="row"' not in response.text  # but not posted again
    assert not Comment.objects.exists()
    with pytest.raises(Locked):
        services.save_comment(submitted, text="x", version=0, by=point_user)


def test_s8_county_edits_what_it_holds_and_only_that(client, county_user, point_user, make, point):
    at_point, at_county = make(point), make(point, stage=Stage.COUNTY)
    client.force_login(county_user)
    rows = {r.candidate.pk: r for r in client.get(URL).context["rows"]}
    assert rows[at_county.pk].editable and not rows[at_point.pk].editable
    response = post_rows(client, row_data(at_county, "县级评语"))
    assert response.status_code == 302
    assert saved_text(at_county) == "县级评语"
    assert AuditEvent.objects.get(action=Action.COMMENT_SAVED).point == point
    with pytest.raises(Locked):
        services.save_comment(at_point, text="县里改", version=0, by=county_user)
    # Once the county holds it, the point cannot change it any more.
    with pytest.raises(Locked):
        services.save_comment(at_county, text="点里改", version=1, by=point_user)


def test_s8_other_county_sees_nothing_and_changes_nothing(
    client, other_county_user, candidate, point_user
):
    services.save_comment(candidate, text="原评语", version=0, by=point_user)
    client.force_login(other_county_user)
    page = client.get(URL)
    assert page.context["rows"] == []
    assert candidate.registration_number not in page.text and "原评语" not in page.text
    response = post_rows(client, row_data(candidate, "外县篡改"))
    assert response.status_code == 404
    assert (
        post_rows(client, {**row_data(candidate, "外县篡改"), "row": "garbage"}).status_code == 404
    )
    assert saved_text(candidate) == "原评语"
    assert AuditEvent.objects.filter(action=Action.COMMENT_SAVED).count() == 1
    with pytest.raises(PermissionDenied):
        services.save_comment(candidate, text="x", version=1, by=other_county_user)
    assert saved_text(candidate) == "原评语"


def test_s8_other_point_of_the_same_county_is_refused_too(client, county, candidate):
    neighbour = staff_for(PointFactory(county=county))
    client.force_login(neighbour)
    assert post_rows(client, row_data(candidate, "邻点篡改")).status_code == 404
    assert saved_text(candidate) is None


def test_s8_a_tampered_post_is_refused(client, point_user, candidate):
    client.force_login(point_user)
    bad_version = row_data(candidate, "评语", version="-1")
    response = post_rows(client, bad_version)
    assert response.status_code == 200 and response.context["rows"][0].code == "invalid"
    too_many = {"row": [str(candidate.pk)] * 1 + [f"{i:032x}" for i in range(PAGE_SIZE)]}
    assert client.post(URL, too_many).status_code == 400
    assert saved_text(candidate) is None


def test_s8_clearing_a_comment_is_a_change(point_user, candidate):
    services.save_comment(candidate, text="写错了", version=0, by=point_user)
    assert services.save_comment(candidate, text="  ", version=1, by=point_user)
    candidate.refresh_from_db()
    assert not services.has_comment(candidate)
    assert Comment.objects.get().version == 2


def test_s8_templates_of_another_unit_are_not_in_the_picker(point_user, other_county_user):
    services.create_template(title="外县", text="外县模板。", by=other_county_user)
    assert not CommentTemplate.objects.usable_by(point_user).exists()
