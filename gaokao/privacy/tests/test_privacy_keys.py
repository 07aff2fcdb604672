"""Where the keys come from (the settings, else the key file), and what happens when they
are missing or malformed."""

import base64
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from gaokao.privacy import crypto, keys
from gaokao.settings import envsecret

A, B = bytes(range(32)), bytes(range(1, 33))


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


@pytest.fixture
def no_configured_keys(settings):
    settings.DATA_KEYS = settings.INDEX_KEY = settings.OLD_INDEX_KEY = None


def configure(settings, data=None, index=None):
    """Keys as gaokao/settings.py reads them from GAOKAO_DATA_KEYS and GAOKAO_INDEX_KEY."""
    settings.DATA_KEYS, settings.INDEX_KEY = data, index


def test_o4_privacy_sqlite_generates_a_key_file_once_readable_by_the_owner_only(
    no_configured_keys, monkeypatch
):
    monkeypatch.setattr(keys, "_database_is_sqlite", lambda: True)  # on PostgreSQL runs too
    first = keys.get_keys()
    path = keys.keys_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.get_keys() == first
    assert first.source == str(path) and len(first.current[1]) == 32


def test_o4_privacy_keys_from_the_settings_first_one_current(no_configured_keys, settings):
    configure(settings, f"new:{b64(A)}, old:{b64(B)}", b64(A))
    written_before = crypto.encrypt("430102200203150011", "t.t.f", ("old", B))
    assert keys.current_data_key() == ("new", A)
    assert crypto.decrypt(written_before, "t.t.f") == "430102200203150011"
    assert crypto.key_id_of(crypto.encrypt("x", "t.t.f")) == "new"
    assert not keys.keys_file().exists()


def test_o4_privacy_settings_read_keys_from_files_named_in_the_environment(
    no_configured_keys, settings, monkeypatch, tmp_path
):
    (tmp_path / "data").write_text(f"k1:{b64(A)}\n")
    (tmp_path / "index").write_text(b64(B))
    monkeypatch.setenv(keys.DATA_KEYS_VAR + "_FILE", str(tmp_path / "data"))
    monkeypatch.setenv(keys.INDEX_KEY_VAR + "_FILE", str(tmp_path / "index"))
    configure(settings, envsecret(keys.DATA_KEYS_VAR), envsecret(keys.INDEX_KEY_VAR))
    assert keys.get_keys().data == (("k1", A),) and keys.index_key() == B


def test_o4_privacy_keys_from_the_settings_as_pairs(no_configured_keys, settings):
    settings.DATA_KEYS = [("s1", A)]
    settings.INDEX_KEY = B
    assert keys.current_data_key() == ("s1", A) and keys.index_key() == B


def test_o4_privacy_keys_are_read_once_and_again_when_the_settings_change(
    no_configured_keys, settings
):
    configure(settings, f"k1:{b64(A)}", b64(B))
    first = keys.get_keys()
    assert keys.get_keys() is first  # not parsed again at every value
    configure(settings, f"k2:{b64(B)}", b64(A))
    assert keys.current_data_key() == ("k2", B)


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
    no_configured_keys, settings, data, message
):
    configure(settings, data, b64(A))
    with pytest.raises(ImproperlyConfigured, match=message):
        keys.get_keys()


def test_o4_privacy_one_key_without_the_other_is_refused(no_configured_keys, settings):
    configure(settings, f"k1:{b64(A)}")
    with pytest.raises(ImproperlyConfigured, match="both"):
        keys.get_keys()


def test_o4_privacy_a_database_server_without_keys_refuses_to_start(
    no_configured_keys, settings, monkeypatch
):
    monkeypatch.setattr(keys, "_database_is_sqlite", lambda: False)
    keys.forget()
    with pytest.raises(ImproperlyConfigured, match=keys.DATA_KEYS_VAR):
        keys.check_configured()
    with pytest.raises(ImproperlyConfigured):
        keys.get_keys()  # and nothing is generated
    assert not keys.keys_file().exists()
    configure(settings, f"k1:{b64(A)}", b64(B))
    keys.check_configured()
    assert keys.index_key() == B


def test_o4_privacy_a_database_server_uses_a_key_file_put_there(key_file, monkeypatch):
    monkeypatch.setattr(keys, "_database_is_sqlite", lambda: False)
    keys.forget()
    keys.check_configured()
    assert keys.get_keys().source == str(key_file)


def test_o4_privacy_the_blind_index_depends_on_the_key_and_the_normalised_number():
    assert crypto.blind_index("43010219850101123x", A) == crypto.blind_index(
        "４３０１０２１９８５０１０１１２３Ｘ ", A
    )
    assert crypto.blind_index("43010219850101123X", A) != crypto.blind_index(
        "43010219850101123X", B
    )
    assert crypto.blind_index("", A) == ""
