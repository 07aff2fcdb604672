"""Issue 19, item 5: in the admin too, a code that records hold is never deleted (Django's
confirmation names it among the protected objects), and a code's table and value cannot be
changed once it exists; the office web's 代码表 pages keep the same rules."""

import pytest
from django.test import Client
from django.urls import reverse

from gaokao.audit.models import AuditEvent
from gaokao.codes.models import Code, Table
from gaokao.testing.factories import CandidateFactory, staff_for

pytestmark = pytest.mark.django_db

REASON = "测试"


@pytest.fixture
def admin_client(county):
    client = Client()
    client.force_login(staff_for(county.parent.parent, is_staff=True, is_superuser=True))
    return client


def test_e3_issue19_the_admin_does_not_delete_a_code_records_hold(
    admin_client, season, point, english
):
    CandidateFactory(season=season, point=point, ethnicity="97")
    code = Code.objects.get(table=Table.ETHNICITY, code="97")
    url = reverse("admin:codes_code_delete", args=[code.pk])
    page = admin_client.get(url)
    assert "1 record holds it (retire it instead)" in page.content.decode()
    admin_client.post(url, {"post": "yes", "change_reason": REASON})
    assert Code.objects.filter(pk=code.pk).exists()
    selected = {"action": "delete_selected", "_selected_action": [code.pk]}
    changelist = reverse("admin:codes_code_changelist")
    admin_client.post(changelist, {**selected, "post": "yes", "change_reason": REASON})
    assert Code.objects.filter(pk=code.pk).exists()
    assert not AuditEvent.objects.filter(action="config.deleted").exists()


def test_e3_issue19_the_admin_does_not_change_a_codes_value(admin_client, codes):
    code = Code.objects.get(table=Table.ETHNICITY, code="97")
    page = admin_client.get(reverse("admin:codes_code_change", args=[code.pk]))
    assert 'name="code"' not in page.content.decode()
    assert 'name="name"' in page.content.decode()
