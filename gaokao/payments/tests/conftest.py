import pytest

from gaokao.payments.config import write_sandbox_config


@pytest.fixture
def sandbox_setup(settings, tmp_path):
    """Call with the channels to set up: keys for both sides generated into tmp_path, the
    sandbox gateway on, and HTTP routed in-process through Django's test client (the
    adapters' base URLs are http://testserver/sandbox/<channel>)."""

    def setup(*channels):
        settings.PAYMENTS_CONFIG = write_sandbox_config(
            tmp_path / "payments", "http://testserver", channels
        )
        settings.PAYMENTS_SANDBOX = True
        settings.PAYMENTS_TRANSPORT = "gaokao.payments.testing.client_transport"

    return setup
