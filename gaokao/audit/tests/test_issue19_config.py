"""Issue 19, item 5: the one audited save of configuration (gaokao.audit.config). A save or
deletion and its audit event (the diff, who, why) go together; nothing changed records
nothing; a blank reason is refused before anything is written; secrets never appear in a
diff and masked fields appear masked."""

import pytest

from gaokao.audit import config
from gaokao.audit.models import Action, AuditEvent
from gaokao.codes.models import Code, Table
from gaokao.privacy.masking import mask_id
from gaokao.testing.factories import staff_for

pytestmark = pytest.mark.django_db

REASON = "省考试院通知"


@pytest.fixture
def province_user(county):
    return staff_for(county.parent.parent)


def test_e3_issue19_save_audited_adds_changes_and_records_each_diff(province_user):
    row = Code(table=Table.SEX, code="9", name="未说明", sort_order=90)
    assert config.save_audited(row, reason=REASON, by=province_user) == {
        "attrs": [None, {}],
        "code": [None, "9"],
        "is_active": [None, True],
        "name": [None, "未说明"],
        "sort_order": [None, 90],
        "table": [None, "sex"],
    }
    row.name = "未说明的性别"
    assert config.save_audited(row, reason=REASON, by=province_user) == {
        "name": ["未说明", "未说明的性别"]
    }
    assert Code.objects.get(pk=row.pk).name == "未说明的性别"
    added, changed = AuditEvent.objects.order_by("pk")
    assert (added.action, changed.action) == (Action.CONFIG_ADDED, Action.CONFIG_CHANGED)
    assert changed.actor == province_user and changed.detail["reason"] == REASON
    assert changed.detail["model"] == "codes.code"
    assert (changed.target_type, changed.target_id) == ("codes.code", str(row.pk))


def test_e3_issue19_save_audited_records_nothing_when_nothing_changed(province_user):
    row = Code.objects.create(table=Table.SEX, code="9", name="未说明")
    assert config.save_audited(row, reason=REASON, by=province_user) == {}
    assert not AuditEvent.objects.exists()


def test_e3_issue19_a_blank_reason_is_refused_before_anything_is_written(province_user, english):
    row = Code.objects.create(table=Table.SEX, code="9", name="未说明")
    row.name = "改了"
    with pytest.raises(config.ReasonRequired) as refused:
        config.save_audited(row, reason=" \n ", by=province_user)
    assert refused.value.messages == ["Give a reason for the change."]
    with pytest.raises(config.ReasonRequired):
        config.delete_audited(row, reason="", by=province_user)
    assert Code.objects.get(pk=row.pk).name == "未说明"
    assert not AuditEvent.objects.exists()


def test_e3_issue19_delete_audited_records_what_the_row_held(province_user):
    row = Code.objects.create(table=Table.SEX, code="9", name="未说明")
    pk = row.pk
    changes = config.delete_audited(row, reason=REASON, by=province_user)
    assert changes["code"] == ["9", None] and changes["name"] == ["未说明", None]
    assert not Code.objects.filter(code="9", table=Table.SEX).exists()
    (event,) = AuditEvent.objects.all()
    assert event.action == Action.CONFIG_DELETED and event.detail["changes"] == changes
    assert (event.target_type, event.target_id) == ("codes.code", str(pk))


def test_e3_issue19_secrets_stay_out_and_masked_fields_are_masked(county):
    user = staff_for(county)
    snapshot = config.snapshot(user)
    assert not {"password", "last_login", "totp_secret"} & set(snapshot)
    before, after = {"id_number": "430102200203150011"}, {"id_number": "430102200203150029"}
    assert config.diff(before, after, masked={"id_number": mask_id}) == {
        "id_number": [mask_id("430102200203150011"), mask_id("430102200203150029")]
    }
