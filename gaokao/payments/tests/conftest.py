import datetime as dt

import pytest

from gaokao.payments import config
from gaokao.payments.config import write_sandbox_config
from gaokao.payments.tests.helpers import IN_WINDOW, make_candidate
from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import CategoryFactory


@pytest.fixture(autouse=True)
def fresh_gateways():
    """Some tests change the adapter they are given (its transport, its keys):
    config.gateway keeps adapters per process, so each test starts and ends without."""
    config.forget_gateways()
    yield
    config.forget_gateways()


@pytest.fixture(scope="session")
def sandbox_keys_cache(tmp_path_factory):
    """Generated keys by channel set, made once per test session (RSA and certificate
    generation is the slow part of these tests; no test changes the key files)."""
    return {}


@pytest.fixture
def sandbox_setup(settings, sandbox_keys_cache, tmp_path_factory):
    """Call with the channels to set up: keys for both sides, the sandbox gateway on, and
    HTTP routed in-process through Django's test client (the adapters' base URLs are
    http://testserver/sandbox/<channel>)."""

    def setup(*channels):
        if channels not in sandbox_keys_cache:
            folder = tmp_path_factory.mktemp("payments")
            sandbox_keys_cache[channels] = write_sandbox_config(
                folder, "http://testserver", channels
            )
        settings.PAYMENTS_CONFIG = sandbox_keys_cache[channels]
        settings.PAYMENTS_SANDBOX = True
        settings.PAYMENTS_TRANSPORT = "gaokao.payments.testing.client_transport"

    return setup


@pytest.fixture
def windows():
    """Only the professional exams' window is open."""
    return [(PhaseKind.PROFESSIONAL, dt.date(2019, 10, 28), dt.date(2019, 11, 8))]


@pytest.fixture
def art(season):
    return CategoryFactory(season=season, code="MS", name="美术", fee_fen=12000)


@pytest.fixture
def music(season):
    return CategoryFactory(
        season=season,
        code="YY",
        name="音乐",
        fee_fen=15000,
        main_items=["声乐", "器乐"],
        secondary_items=["美声", "钢琴"],
    )


@pytest.fixture
def sports(season):
    return CategoryFactory(season=season, code="TY", name="体育", kind="sports", tracks=["4", "8"])


@pytest.fixture
def candidate(season, point):
    return make_candidate(season, point)


@pytest.fixture
def now():
    """Inside the professional window."""
    return IN_WINDOW


@pytest.fixture
def ticking():
    return False  # frozen inside the window


@pytest.fixture(params=["wechat", "alipay", "unionpay"])
def channel(request, sandbox_setup):
    """Each gateway in turn, through its real adapter and the sandbox."""
    sandbox_setup(request.param)
    return request.param


@pytest.fixture
def wechat(sandbox_setup):
    sandbox_setup("wechat")
    return "wechat"
