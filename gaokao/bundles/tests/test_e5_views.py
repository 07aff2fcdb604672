"""The county's import page (E5): check, confirm, result; nobody else's."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from gaokao.audit.models import Action, AuditEvent
from gaokao.bundles.tests.conftest import create_change
from gaokao.candidates.models import Candidate, Stage
from gaokao.numbering.models import registration_number
from gaokao.office.bundles import forms
from gaokao.sync.models import Receipt
from gaokao.testing.factories import CandidateFactory
from gaokao.testing.sync import update_change

pytestmark = pytest.mark.django_db


def upload(client, data: bytes, name="0102001.gkbundle"):
    return client.post(reverse("bundles:import"), {"file": SimpleUploadedFile(name, data)})


def confirm(client, sha256: str):
    return client.post(reverse("bundles:confirm"), {"sha256": sha256}, follow=True)


def held_files(data_dir):
    return list((data_dir / "bundles" / "pending").glob("*.bundle"))


def test_e5_county_checks_then_imports(
    client, season, number_range, point, county_user, device, write, data_dir
):
    changes = [create_change(point, 1), create_change(point, 2)]
    data = write(changes)
    client.force_login(county_user)
    assert client.get(reverse("bundles:import")).status_code == 200

    page = upload(client, data)
    assert page.status_code == 200
    summary = page.context["summary"]
    assert (summary.creates, summary.already_received) == (2, 0)
    assert point.code in page.content.decode()
    assert not Candidate.objects.exists()  # a dry run
    assert len(held_files(data_dir)) == 1

    result = confirm(client, summary.sha256)
    assert result.status_code == 200
    assert result.context["result"].counts["applied"] == 2
    assert Candidate.objects.filter(point=point).count() == 2
    assert not held_files(data_dir)  # deleted once applied
    assert AuditEvent.objects.filter(action=Action.BUNDLE_IMPORTED).count() == 1

    again = confirm(client, summary.sha256)  # a second confirmation: the file is gone
    assert "bundles/result.html" not in [t.name for t in again.templates]
    assert AuditEvent.objects.filter(action=Action.BUNDLE_IMPORTED).count() == 1


def test_e5_the_result_lists_refused_changes(
    client, season, number_range, point, county_user, device, write
):
    # A number of its own: the factory's sequence may have reached the created one's.
    submitted = CandidateFactory(
        season=season,
        point=point,
        stage=Stage.COUNTY,
        registration_number=registration_number(point.county.registration_code, 9999),
    )
    data = write([update_change(submitted), create_change(point, 1)])
    client.force_login(county_user)
    sha256 = upload(client, data).context["summary"].sha256
    page = confirm(client, sha256)
    html = page.content.decode()
    assert page.context["result"].counts == {
        "applied": 1,
        "duplicate": 0,
        "conflict": 0,
        "refused": 1,
    }
    listing = re.search(r'data-testid="refused-list".*?</table>', html, re.S).group(0)
    assert submitted.name in listing and submitted.registration_number in listing
    message = page.context["result"].refused[0].message
    assert message and escape(message) in listing


def test_e5_a_refused_file_shows_why_and_is_not_kept(client, county_user, data_dir):
    client.force_login(county_user)
    page = upload(client, b"PK\x03\x04 a zip, not a bundle")
    assert page.status_code == 200
    assert "summary" not in page.context
    assert page.context["form"].non_field_errors()
    assert not held_files(data_dir)


def test_e5_an_oversized_upload_is_refused(client, county_user, monkeypatch, data_dir):
    monkeypatch.setattr(forms, "MAX_BYTES", 8)
    client.force_login(county_user)
    page = upload(client, b"GKBUNDLE and more")
    assert page.context["form"].errors["file"]
    assert not held_files(data_dir)


def test_e5_another_countys_user_is_refused_and_changes_nothing(
    client, season, number_range, point, county_user, other_county_user, device, write, data_dir
):
    data = write([create_change(point, 1)])
    client.force_login(county_user)
    sha256 = upload(client, data).context["summary"].sha256

    client.force_login(other_county_user)
    page = upload(client, data)  # the same disc, taken to the wrong county
    assert "summary" not in page.context
    assert page.context["form"].non_field_errors()
    assert point.name not in page.content.decode()
    confirm(client, sha256)  # the file held for the first county's user
    assert not Candidate.objects.exists()
    assert not Receipt.objects.exists()
    assert len(held_files(data_dir)) == 1  # still waiting for its own user


@pytest.mark.parametrize("user", ["point_user", "city_user", "province_user"])
def test_e5_other_roles_are_forbidden(
    client, request, season, number_range, point, county_user, device, write, user
):
    data = write([create_change(point, 1)])
    client.force_login(county_user)
    sha256 = upload(client, data).context["summary"].sha256
    client.force_login(request.getfixturevalue(user))
    assert client.get(reverse("bundles:import")).status_code == 403
    assert upload(client, data).status_code == 403
    assert client.post(reverse("bundles:confirm"), {"sha256": sha256}).status_code == 403
    assert not Candidate.objects.exists()


def test_e5_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("bundles:import"))
    assert response.status_code == 302


def test_e5_a_malformed_confirmation_changes_nothing(client, county_user):
    client.force_login(county_user)
    for sha256 in ("", "../../etc/passwd", "g" * 64, "\x00" * 64):
        page = confirm(client, sha256)
        assert page.status_code == 200
        assert "bundles/result.html" not in [t.name for t in page.templates]
    assert not Receipt.objects.exists()


def test_e3_e5_a_stale_session_confirms_identity_before_importing(
    client, season, number_range, point, county_user, device, write, data_dir
):
    from gaokao.office.tests.test_reauth import make_stale, reauth_url

    client.force_login(county_user)
    sha256 = upload(client, write([create_change(point, 1)])).context["summary"].sha256
    make_stale(client)

    answer = client.post(reverse("bundles:confirm"), {"sha256": sha256})
    assert answer.status_code == 302
    assert answer["Location"] == reauth_url(reverse("bundles:import"))
    assert not Candidate.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.BUNDLE_IMPORTED).exists()
    assert client.get(reverse("bundles:import"))["Location"] == answer["Location"]
