"""Browser journeys: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright's own browser download is not used; CHROMIUM overrides the executable. Without
a Chromium the tests are skipped, unless GAOKAO_REQUIRE_SYSTEM_TOOLS=1 (CI), then they fail.

Journeys open their pages through `open_page` (or take the one `page`): every page they
visit is checked with axe-core (gaokao.e2e.accessibility), and `shot(page, name)` keeps a
screenshot under test-results/screenshots/<test>/.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from gaokao.demo.services import DemoAccount, ensure_demo
from gaokao.e2e.accessibility import Audit, init_script

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
    # Containers often give /dev/shm 64 MB, too little for full-page screenshots: use /tmp.
    "--disable-dev-shm-usage",
]
HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE.parents[1] / "test-results" / "screenshots"


# The longest journey takes about 30 s; one that hangs (a browser or a server thread that
# never answers) fails after this long with every thread's stack, and the run goes on.
JOURNEY_TIMEOUT_SECONDS = 240


def pytest_collection_modifyitems(items):
    # A conftest's collection hook sees the whole session's items: mark only ours.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.timeout(JOURNEY_TIMEOUT_SECONDS))


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
def open_page(browser):
    """Opens a page in a new browser context (a person of their own, with their own
    cookies); every page loaded in it is checked with axe-core, and the journey fails on a
    serious or critical violation."""
    audit, script = Audit(), init_script()
    contexts = []

    def open_(**options):
        context = browser.new_context(locale="zh-CN", **options)
        context.set_default_timeout(10_000)
        context.add_init_script(script)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        for page in context.pages:
            audit.collect(page)
        context.close()
    assert audit.checked, "no page was checked with axe-core"
    if audit.violations:
        pytest.fail(audit.report(), pytrace=False)


@pytest.fixture
def page(open_page):
    return open_page()


@pytest.fixture
def shot(request):
    """shot(page, name): a screenshot of the whole page for the docs and for people
    looking into a failure."""
    folder = SCREENSHOTS / request.node.name

    def take(page, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{name}.png", full_page=True)

    return take


@pytest.fixture
def demo_accounts(live_server, settings, tmp_path) -> dict[str, DemoAccount]:
    """The demo data (a current season, points, an account per level), by user name."""
    settings.DATA_DIR = tmp_path
    return {account.username: account for account in ensure_demo()}
