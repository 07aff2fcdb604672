"""config.gateway keeps the adapter it built (loading a key costs ~200 ms per notification)
and builds a new one when the configuration or a key file it names is replaced (O6, E3)."""

import os

import pytest
from cryptography.hazmat.primitives import serialization

from gaokao.payments import config
from gaokao.payments.gateways.keys import new_key, private_pem


def public_numbers(gateway) -> int:
    return gateway.config.merchant_private_key.public_key().public_numbers().n


@pytest.fixture
def wechat_config(settings, tmp_path):
    settings.PAYMENTS_CONFIG = config.write_sandbox_config(
        tmp_path, "http://testserver", ["wechat"]
    )
    settings.PAYMENTS_TRANSPORT = "gaokao.payments.testing.client_transport"
    return settings.PAYMENTS_CONFIG


def test_o6_the_same_configuration_gives_the_same_adapter(wechat_config):
    assert config.gateway("wechat") is config.gateway("wechat")


def test_o6_a_replaced_key_file_gives_a_new_adapter_with_the_new_key(wechat_config):
    before = config.gateway("wechat")
    key_file = wechat_config.parent / config.load()["wechat"]["merchant_private_key_file"]
    key = new_key()
    replacement = key_file.with_suffix(".new")
    replacement.write_bytes(private_pem(key))
    os.replace(replacement, key_file)  # as an operator installs a renewed key

    after = config.gateway("wechat")
    assert after is not before
    assert public_numbers(after) == key.public_key().public_numbers().n != public_numbers(before)
    assert config.gateway("wechat") is after


def test_o6_a_key_file_rewritten_in_place_gives_a_new_adapter(wechat_config):
    before = config.gateway("wechat")
    key_file = wechat_config.parent / config.load()["wechat"]["merchant_private_key_file"]
    key = new_key()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # another size than PKCS#8
        serialization.NoEncryption(),
    )
    key_file.write_bytes(pem)

    after = config.gateway("wechat")
    assert after is not before
    assert public_numbers(after) == key.public_key().public_numbers().n


def test_o6_a_changed_configuration_file_gives_a_new_adapter(wechat_config):
    before = config.gateway("wechat")
    text = wechat_config.read_text(encoding="utf-8")
    text = text.replace(f'mchid = "{before.merchant_id}"', 'mchid = "1900000999"')
    wechat_config.write_text(text, encoding="utf-8")
    os.utime(wechat_config, ns=(1, 1))  # whatever the clock's resolution

    after = config.gateway("wechat")
    assert after is not before
    assert after.merchant_id == "1900000999"


def test_o6_another_transport_gives_a_new_adapter(wechat_config, settings):
    before = config.gateway("wechat")
    settings.PAYMENTS_TRANSPORT = ""
    after = config.gateway("wechat")
    assert after is not before
    assert after.transport is config.transport()
