"""E5 in a real browser: a point's client could not sync before the deadline, so the
point brings a disc; its county checks the file (dry run), imports it, and importing it
again changes nothing."""

import base64
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone
from playwright.sync_api import expect

from gaokao.accounts.models import StaffUser
from gaokao.bundles import format as bf
from gaokao.candidates.models import Candidate
from gaokao.e2e.journeys import first_sign_in
from gaokao.numbering.models import NumberRange, registration_number
from gaokao.sync.models import Device
from gaokao.testing.factories import resident_id


def disc(tmp_path) -> tuple:
    """A bundle as the demo point's client writes it, with two candidates taken in."""
    user = StaffUser.objects.get(username="demo-furong-point")
    key = Ed25519PrivateKey.generate()
    device = Device.objects.create(
        point=user.point,
        name="教务处电脑",
        public_key=base64.b64encode(key.public_key().public_bytes_raw()).decode(),
        token_hash=uuid.uuid4().hex * 2,
        enrolled_by=user,
    )
    number_range = NumberRange.objects.filter(point=user.point).order_by("first").first()
    prefix = user.point.county.registration_code
    changes = [
        {
            "id": str(uuid.uuid4()),
            "kind": "create",
            "candidate": str(uuid.uuid4()),
            "base_version": None,
            "fields": {
                "document_type": "1",
                "name": name,
                "sex": "1" if int(resident_id(900 + n)[16]) % 2 else "2",
                "ethnicity": "01",
                "birth_date": "2002-03-15",
                "id_number": resident_id(900 + n, birth="20020315"),
                "identity_source": "reader",
                "eligibility_path": "normal",
                "subject_track": number_range.subject_track.code,
                "registration_number": registration_number(prefix, number_range.last - n),
                "keyed_from_paper": True,
            },
        }
        for n, name in enumerate(["断网考生甲", "断网考生乙"])
    ]
    data = bf.write_bundle(
        device_id=device.pk,
        device_private_key=key,
        server_public_key=bf.x25519_public_key(bf.server_public_key_b64()),
        point_code=user.point.code,
        changes=changes,
        photos=[],
        created_at=timezone.now(),
    )
    path = tmp_path / "0102001.gkb"
    path.write_bytes(data)
    return path


def check(page, path) -> None:
    page.get_by_label("数据包文件").set_input_files(str(path))
    page.get_by_role("button", name="检查文件").click()
    expect(page.get_by_test_id("summary")).to_be_visible()


def test_e5_the_county_checks_and_imports_a_points_disc_once(
    page, live_server, demo_accounts, tmp_path
):
    base = live_server.url
    path = disc(tmp_path)
    first_sign_in(page, base, demo_accounts["demo-furong"])
    page.get_by_role("link", name="导入数据盘").click()

    check(page, path)
    expect(page.get_by_test_id("point")).to_contain_text("0102001")
    expect(page.get_by_test_id("changes")).to_contain_text("2")
    assert not Candidate.objects.filter(name__startswith="断网考生").exists()  # a dry run
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("applied")).to_contain_text("2")
    assert Candidate.objects.filter(name__startswith="断网考生", keyed_from_paper=True).count() == 2

    # The same disc again: the check says it was received, and importing changes nothing.
    page.get_by_role("link", name="导入数据盘").click()
    check(page, path)
    expect(page.get_by_test_id("already")).to_contain_text("2")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("duplicate")).to_contain_text("2")
    assert Candidate.objects.filter(name__startswith="断网考生").count() == 2
