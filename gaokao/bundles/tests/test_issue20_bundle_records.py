"""Issue 20, item 4, on the disc path (E5): the incidents, timeline entries and comments a
point client recorded offline travel on the disc bundle, inside its signed and encrypted
payload, and the county's import stores them as a sync would (gaokao.sync.records): once
each however often they arrive, only for the device's own point, never overwriting a
comment the county changed meanwhile. A bundle without them imports as before."""

import datetime as dt
import io
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from gaokao.audit.models import Action, AuditEvent
from gaokao.bundles import format as bf
from gaokao.bundles import services
from gaokao.bundles.format import BundleRefused
from gaokao.bundles.tests.conftest import create_change
from gaokao.comments.models import Comment
from gaokao.comments.services import save_comment
from gaokao.incidents.models import Entry, Incident, IncidentEntry
from gaokao.incidents.services import report_incident
from gaokao.numbering.models import registration_number
from gaokao.sync.models import Receipt
from gaokao.testing.factories import CandidateFactory, staff_for
from gaokao.testing.sync import Api

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(english):
    """Refusals are asserted in their source language."""


def incident_item(own, **overrides):
    now = timezone.now()
    return {
        "id": str(uuid.uuid4()),
        "point": own.code,
        "region": None,
        "affected": [],
        "kind": "network",
        "severity": "serious",
        "started_at": (now - dt.timedelta(hours=3)).isoformat(),
        "reported_at": (now - dt.timedelta(hours=2)).isoformat(),
        "description": "报名点断网，数据盘带到县招办",
        "entry": str(uuid.uuid4()),
        "by": "",
    } | overrides


def entry_item(incident_id, **overrides):
    return {
        "id": str(uuid.uuid4()),
        "incident": str(incident_id),
        "kind": "comment",
        "at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "text": "网络仍未恢复",
        "by": "",
    } | overrides


def comment_item(candidate, text="该生品德良好", base_version=0):
    return {
        "id": str(uuid.uuid4()),
        "candidate": str(candidate.pk),
        "text": text,
        "base_version": base_version,
        "written_at": timezone.now().isoformat(),
        "by": "",
    }


@pytest.fixture
def disc(season, point):
    """An incident with an entry and a comment, as the point's client keyed them."""
    # A number of its own: the factory's sequence may reach the disc's created one's.
    number = registration_number(point.county.registration_code, 9999)
    candidate = CandidateFactory(season=season, point=point, registration_number=number)
    incident = incident_item(point)
    return {
        "incidents": [incident],
        "entries": [entry_item(incident["id"])],
        "comments": [comment_item(candidate)],
    }


def by_sync(client, records) -> list[dict]:
    """The same records sent by the point client's sync (POST /api/v1/records)."""
    answer = Api(client).post("/records", records)
    assert answer.status_code == 200, answer.content
    return answer.json()["results"]


def stored():
    return (Incident.objects.count(), IncidentEntry.objects.count(), Comment.objects.count())


def test_e5_issue20_incidents_entries_and_comments_on_the_disc_are_created_at_import(
    season, number_range, point, county_user, device, write, disc
):
    data = write([create_change(point, 1)], records=disc)

    summary = services.check(data, county_user)
    assert (summary.incidents, summary.entries, summary.comments) == (1, 1, 1)
    assert stored() == (0, 0, 0)  # the check is a dry run

    result = services.apply(data, county_user)

    assert result.counts["applied"] == 1
    assert result.records == {"applied": 3, "duplicate": 0, "refused": 0}
    assert not result.record_problems
    incident = Incident.objects.get()
    assert str(incident.uid) == disc["incidents"][0]["id"] and incident.point == point
    assert set(incident.entries.values_list("kind", flat=True)) == {Entry.REPORTED, Entry.COMMENT}
    comment = Comment.objects.get()
    assert (
        comment.text == "该生品德良好"
        and str(comment.candidate_id) == (disc["comments"][0]["candidate"])
    )
    receipt = Receipt.objects.get(pk=disc["comments"][0]["id"])
    assert (receipt.kind, receipt.via) == ("comment", "bundle")
    event = AuditEvent.objects.get(action=Action.BUNDLE_IMPORTED)
    assert event.detail["records"]["applied"] == 3


def test_e5_issue20_a_disc_imported_twice_stores_each_record_once(
    season, point, county_user, device, write, disc
):
    data = write([], records=disc)
    services.apply(data, county_user)

    again = services.apply(data, county_user)

    assert again.records == {"applied": 0, "duplicate": 3, "refused": 0}
    assert services.check(data, county_user).comments == 1
    assert stored() == (1, 2, 1)
    assert Comment.objects.get().version == 1


def test_e5_issue20_a_disc_then_the_same_records_by_sync_store_once(
    client, season, point, county_user, device, write, disc
):
    services.apply(write([], records=disc), county_user)

    # The network returns: the client sends the same records, still pending on it.
    results = by_sync(client, disc)

    assert [r["status"] for r in results] == ["duplicate"] * 3
    assert stored() == (1, 2, 1)
    assert Comment.objects.get().version == 1


def test_e5_issue20_records_that_arrived_by_sync_first_are_not_stored_again_from_the_disc(
    client, season, point, county_user, device, write, disc
):
    assert [r["status"] for r in by_sync(client, disc)] == ["applied"] * 3

    result = services.apply(write([], records=disc), county_user)

    assert result.records == {"applied": 0, "duplicate": 3, "refused": 0}
    assert stored() == (1, 2, 1)


def test_e5_issue20_a_tampered_records_section_fails_the_signature(
    season, point, county_user, device, write, disc
):
    data = write([], records=disc)
    tampered = bytearray(data)
    tampered[-bf.SIGNATURE_BYTES - 20] ^= 0x01  # inside the encrypted payload

    with pytest.raises(BundleRefused) as e:
        services.apply(bytes(tampered), county_user)

    assert e.value.reason == bf.BAD_SIGNATURE
    assert stored() == (0, 0, 0)


def test_e5_issue20_a_records_count_that_does_not_match_the_manifest_is_refused(
    season, point, county_user, device, device_key, disc
):
    # Signed by the device itself, but the manifest claims fewer records than it holds.
    original = bf._canonical
    calls = []

    def lying(value):
        calls.append(value)
        if isinstance(value, dict) and "records" in value and "format" in value:
            value = value | {"records": {"incidents": 0, "entries": 1, "comments": 1}}
        return original(value)

    bf._canonical = lying
    try:
        data = bf.write_bundle(
            device_id=device.pk,
            device_private_key=device_key,
            server_public_key=bf.x25519_public_key(bf.server_public_key_b64()),
            point_code=point.code,
            changes=[],
            photos=[],
            records=disc,
            created_at=timezone.now(),
        )
    finally:
        bf._canonical = original

    with pytest.raises(BundleRefused) as e:
        services.check(data, county_user)
    assert e.value.reason == bf.MALFORMED


def test_e5_issue20_records_of_another_point_on_the_disc_are_refused_and_listed(
    season, point, other_point, county_user, device, write
):
    theirs = CandidateFactory(season=season, point=other_point)
    their_incident = report_incident(
        by=staff_for(other_point),
        kind="network",
        severity="serious",
        started_at=timezone.now() - dt.timedelta(hours=1),
        description="他点的断网",
    )
    forged = incident_item(point, point=other_point.code)
    records = {
        "incidents": [forged],
        "entries": [entry_item(their_incident.uid)],
        "comments": [comment_item(theirs)],
    }

    result = services.apply(write([], records=records), county_user)

    assert result.records == {"applied": 0, "duplicate": 0, "refused": 3}
    assert not Incident.objects.filter(uid=forged["id"]).exists()
    assert their_incident.entries.count() == 1
    assert not Comment.objects.exists()
    problems = {p.kind: p for p in result.record_problems}
    assert set(problems) == {"incident", "entry", "comment"}
    assert other_point.code in problems["incident"].message
    assert problems["entry"].message == "Not this point's incident."
    assert problems["comment"].message == "Not this point's candidate."
    assert problems["comment"].name == ""  # another county's candidate is not named


def test_e5_issue20_a_comment_the_county_changed_meanwhile_is_refused_not_overwritten(
    season, point, point_user, county_user, device, write
):
    candidate = CandidateFactory(season=season, point=point)
    # Written at the centre (the office web) while the point's client was offline.
    save_comment(candidate, text="中心的评语", version=0, by=point_user)
    point_comment = comment_item(candidate, text="报名点的评语", base_version=0)

    result = services.apply(write([], records={"comments": [point_comment]}), county_user)

    assert result.records["refused"] == 1
    assert Comment.objects.get().text == "中心的评语"
    [problem] = result.record_problems
    assert problem.kind == "comment" and problem.name == candidate.name and problem.message


def test_e5_issue20_an_old_bundle_without_records_still_imports(
    season, number_range, point, county_user, device, write
):
    data = write([create_change(point, 1)])
    bundle = bf.read_bundle(
        data,
        server_private_key=bf.server_private_key(),
        device_key_for=lambda _id: bf.ed25519_public_key(device.public_key),
    )
    assert bundle.manifest.records == {} and not any(bundle.records.values())
    assert b'"records"' not in data  # the manifest is as before the extension

    summary = services.check(data, county_user)
    result = services.apply(data, county_user)

    assert (summary.incidents, summary.entries, summary.comments) == (0, 0, 0)
    assert result.counts["applied"] == 1
    assert result.records == {"applied": 0, "duplicate": 0, "refused": 0}


def test_e5_issue20_the_import_pages_show_the_records_and_list_refused_ones(
    client, season, point, other_point, county_user, device, write, disc
):
    forged = incident_item(point, point=other_point.code)
    data = write([], records=disc | {"incidents": disc["incidents"] + [forged]})
    client.force_login(county_user)

    page = client.post(reverse("bundles:import"), {"file": SimpleUploadedFile("盘.gkb", data)})

    html = page.content.decode()
    counts = re.search(r'data-testid="records">(.*?)</td>', html, re.S).group(1)
    assert "2 incidents, 1 entries on incidents, 1 comments on candidates" in counts
    result = client.post(
        reverse("bundles:confirm"), {"sha256": page.context["summary"].sha256}, follow=True
    )
    html = result.content.decode()
    listing = re.search(r'data-testid="record-problems".*?</table>', html, re.S).group(0)
    [problem] = result.context["result"].record_problems
    assert escape(problem.message) in listing and "Incident" in listing
    assert stored() == (1, 2, 1)


def test_e5_issue20_another_countys_user_cannot_import_the_points_records(
    client, season, point, other_county, device, write, disc
):
    data = write([], records=disc)
    client.force_login(staff_for(other_county))

    page = client.post(reverse("bundles:import"), {"file": SimpleUploadedFile("盘.gkb", data)})

    assert "summary" not in page.context or not page.context["summary"]
    with pytest.raises(BundleRefused):
        services.apply(data, staff_for(other_county))
    assert stored() == (0, 0, 0)


def test_e5_issue20_the_import_command_reports_the_records(
    season, point, other_point, county_user, device, write, disc, tmp_path
):
    forged = incident_item(point, point=other_point.code)
    path = tmp_path / "盘.gkb"
    path.write_bytes(write([], records=disc | {"incidents": disc["incidents"] + [forged]}))
    out = io.StringIO()

    call_command(
        "bundles", "import", str(path), "--user", county_user.username, "--yes", stdout=out
    )

    text = out.getvalue()
    assert "Also 2 incidents, 1 entries on incidents and 1 comments on candidates." in text
    assert "3 stored, 0 received before, 1 refused." in text
    assert f"incident {forged['id']}: " in text
    assert stored() == (1, 2, 1)
