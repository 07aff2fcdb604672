"""Browser journeys: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright's own browser download is not used; CHROMIUM overrides the executable. Without
a Chromium the tests are skipped, unless GAOKAO_REQUIRE_SYSTEM_TOOLS=1 (CI), then they fail.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from gaokao.demo.services import DemoAccount, ensure_demo

# Playwright's sync API keeps an asyncio loop running in the test thread for the rest of
# the session, and Django refuses ORM calls from a thread with a running loop. The ORM is
# still only used synchronously here, so tell Django it is safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    # A conftest's collection hook sees the whole session's items: mark only ours.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)"
        if os.environ.get("GAOKAO_REQUIRE_SYSTEM_TOOLS") == "1":
            pytest.fail(f"GAOKAO_REQUIRE_SYSTEM_TOOLS=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def demo_accounts(live_server, settings, tmp_path) -> dict[str, DemoAccount]:
    """The demo data (a current season, points, an account per level), by user name."""
    settings.DATA_DIR = tmp_path
    return {account.username: account for account in ensure_demo()}
