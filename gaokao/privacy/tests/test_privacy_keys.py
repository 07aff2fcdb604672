"""Where the keys come from, and what happens when they are missing or malformed."""

import base64
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from gaokao.privacy import crypto, keys

A, B = bytes(range(32)), bytes(range(1, 33))


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


@pytest.fixture
def no_configured_keys(settings, monkeypatch):
    for name in (keys.DATA_KEYS_VAR, keys.INDEX_KEY_VAR, keys.OLD_INDEX_KEY_VAR):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name + "_FILE", raising=False)
    settings.DATA_KEYS = settings.INDEX_KEY = settings.OLD_INDEX_KEY = None


def setenv(monkeypatch, **values):
    """Change the environment and have the keys read afresh (they are kept for a second)."""
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    keys.forget()


def test_o4_privacy_sqlite_generates_a_key_file_once_readable_by_the_owner_only(no_configured_keys):
    first = keys.get_keys()
    path = keys.keys_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.get_keys() == first
    assert first.source == str(path) and len(first.current[1]) == 32


def test_o4_privacy_keys_from_the_environment_first_one_current(no_configured_keys, monkeypatch):
    setenv(
        monkeypatch,
        **{keys.DATA_KEYS_VAR: f"new:{b64(A)}, old:{b64(B)}", keys.INDEX_KEY_VAR: b64(A)},
    )
    written_before = crypto.encrypt("430102200203150011", "t.t.f", ("old", B))
    assert keys.current_data_key() == ("new", A)
    assert crypto.decrypt(written_before, "t.t.f") == "430102200203150011"
    assert crypto.key_id_of(crypto.encrypt("x", "t.t.f")) == "new"
    assert not keys.keys_file().exists()


def test_o4_privacy_keys_from_files_named_in_the_environment(
    no_configured_keys, monkeypatch, tmp_path
):
    (tmp_path / "data").write_text(f"k1:{b64(A)}\n")
    (tmp_path / "index").write_text(b64(B))
    setenv(
        monkeypatch,
        **{
            keys.DATA_KEYS_VAR + "_FILE": str(tmp_path / "data"),
            keys.INDEX_KEY_VAR + "_FILE": str(tmp_path / "index"),
        },
    )
    assert keys.get_keys().data == (("k1", A),) and keys.index_key() == B


def test_o4_privacy_keys_from_the_settings(no_configured_keys, settings):
    settings.DATA_KEYS = [("s1", A)]
    settings.INDEX_KEY = B
    assert keys.current_data_key() == ("s1", A) and keys.index_key() == B


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (f"k1:{b64(A)[:-4]}", "32 random bytes"),
        ("k1:not base64!", "not valid base64"),
        (f"k1:{b64(A)},k1:{b64(B)}", "used twice"),
        (f"bad id:{b64(A)}", "key id"),
        (b64(A), "id:base64"),
        (",", "no key"),
    ],
)
def test_o4_privacy_malformed_keys_stop_with_a_clear_message(
    no_configured_keys, monkeypatch, data, message
):
    setenv(monkeypatch, **{keys.DATA_KEYS_VAR: data, keys.INDEX_KEY_VAR: b64(A)})
    with pytest.raises(ImproperlyConfigured, match=message):
        keys.get_keys()


def test_o4_privacy_one_key_without_the_other_is_refused(no_configured_keys, monkeypatch):
    setenv(monkeypatch, **{keys.DATA_KEYS_VAR: f"k1:{b64(A)}"})
    with pytest.raises(ImproperlyConfigured, match="both"):
        keys.get_keys()


def test_o4_privacy_a_database_server_without_keys_refuses_to_start(
    no_configured_keys, monkeypatch
):
    monkeypatch.setattr(keys, "_database_is_sqlite", lambda: False)
    monkeypatch.setattr(keys, "_running_tests", lambda: False)
    keys.forget()
    with pytest.raises(ImproperlyConfigured, match=keys.DATA_KEYS_VAR):
        keys.check_configured()
    with pytest.raises(ImproperlyConfigured):
        keys.get_keys()  # and nothing is generated
    assert not keys.keys_file().exists()
    setenv(monkeypatch, **{keys.DATA_KEYS_VAR: f"k1:{b64(A)}", keys.INDEX_KEY_VAR: b64(B)})
    keys.check_configured()


def test_o4_privacy_the_blind_index_depends_on_the_key_and_the_normalised_number():
    assert crypto.blind_index("43010219850101123x", A) == crypto.blind_index(
        "４３０１０２１９８５０１０１１２３Ｘ ", A
    )
    assert crypto.blind_index("43010219850101123X", A) != crypto.blind_index(
        "43010219850101123X", B
    )
    assert crypto.blind_index("", A) == ""
