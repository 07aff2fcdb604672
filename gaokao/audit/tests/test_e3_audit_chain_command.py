"""E3: `gaokao audit verify` lists what was tampered with and exits non-zero; `gaokao audit
heads` writes the chains' ends to keep outside the database. The output is checked by what
does not depend on the language (ids, chain names, exit codes)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gaokao.audit import verify
from gaokao.audit.management.commands.audit import Command
from gaokao.audit.models import Action, AuditChainHead, AuditEvent
from gaokao.audit.services import record

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def keep_connection(monkeypatch):
    """run_from_argv closes the connections when done, which would end the test's
    transaction."""
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)


def exit_code(*args):
    """The exit code of `gaokao audit ...` as a shell sees it."""
    try:
        Command().run_from_argv(["gaokao", "audit", *args])
    except SystemExit as e:
        return e.code
    return 0


@pytest.fixture
def trail(point_user, county_user):
    return [record(Action.LOGIN, actor=u) for u in (point_user, point_user, county_user)]


def test_e3_audit_chain_command_passes_on_a_clean_trail(trail, capsys):
    out, _ = run("verify")
    assert "3" in out and "2" in out  # events and chains checked
    assert exit_code("verify") == 0


def test_e3_audit_chain_command_lists_problems_and_exits_1(trail, capsys):
    AuditEvent.objects.filter(pk=trail[1].pk).update(detail={"edited": True})
    AuditEvent.objects.filter(pk=trail[2].pk).delete()
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify", stdout=out, stderr=io.StringIO())
    assert failed.value.returncode == 1
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{trail[1].chain} #2:") and str(trail[1].pk) in lines[0]
    assert lines[1].startswith(f"{trail[2].chain}:")
    assert exit_code("verify") == 1
    assert "CommandError" in capsys.readouterr().err


def test_e3_audit_chain_command_checks_one_chain_or_the_days_since(trail, capsys):
    AuditEvent.objects.filter(pk=trail[2].pk).update(action=Action.LOGOUT)
    assert exit_code("verify", "--chain", trail[0].chain) == 0
    assert exit_code("verify", "--chain", trail[2].chain) == 1
    assert exit_code("verify", "--since", "2999-01-01") == 0
    assert exit_code("verify", "--since", trail[0].at.date().isoformat()) == 1
    assert exit_code("verify", "--since", "yesterday") == 2


def test_e3_audit_chain_command_shows_progress(trail, monkeypatch):
    monkeypatch.setattr(verify, "PROGRESS_EVERY", 2)
    _, err = run("verify")
    assert len(err.splitlines()) == 2  # after 2 events, and at the end (3)
    assert "2" in err.splitlines()[0] and "3" in err.splitlines()[1]


def test_e3_audit_chain_saved_heads_find_a_truncated_chain(trail, tmp_path, capsys):
    """Removing the newest events and rolling the head back to match leaves a consistent
    chain; the ends saved earlier outside the database still show it."""
    out, _ = run("heads")
    saved = tmp_path / "heads.tsv"
    saved.write_text(out, encoding="utf-8")
    assert len(out.splitlines()) == 1 + 2  # a header and two chains
    assert exit_code("verify", "--heads", str(saved)) == 0

    AuditEvent.objects.filter(pk=trail[1].pk).delete()
    AuditChainHead.objects.filter(pk=trail[0].chain).update(seq=1, hash=trail[0].hash)
    assert exit_code("verify") == 0  # consistent in the database alone
    assert exit_code("verify", "--heads", str(saved)) == 1
    assert f"{trail[0].chain} #2:" in capsys.readouterr().out


def test_e3_audit_chain_heads_since_a_day(trail):
    out, _ = run("heads", "--since", "2999-01-01")
    assert out.splitlines()[1:] == []


def test_e3_audit_chain_command_refuses_a_bad_heads_file(trail, tmp_path):
    assert exit_code("verify", "--heads", str(tmp_path / "missing.tsv")) == 2
    bad = tmp_path / "bad.tsv"
    bad.write_text("not a chain end\n", encoding="utf-8")
    assert exit_code("verify", "--heads", str(bad)) == 2


def test_e3_audit_chain_command_points_at_a_replaced_key(trail, settings):
    settings.SECRET_KEY = "not-the-key-the-events-were-recorded-with-0123456789"
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=err)
    assert failed.value.returncode == 1
    assert "SECRET_KEY_FALLBACKS" in err.getvalue()
