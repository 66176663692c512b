"""Browser fixtures: one bot, one Playground and one Chromium page serve every browser test of a run.

They are package-scoped: started by the first browser test, stopped as soon as the last one is done (not kept
idle through the rest of the suite). A failing test leaves a screenshot of the page under `.tmp/browser-failures/`,
its path in the failure report. With `GUIDE_PICTURES_DIR` set (`make guide`), the tests also save the guide's
pictures there.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ViewportSize, expect, sync_playwright

from playground.session import PlaygroundSession, playground_session
from tests.browser.client import PlaygroundClient
from tests.support.chromium import ChromiumUnavailable, chromium_path, launch

ROOT = Path(__file__).resolve().parents[2]
FAILURES = ROOT / ".tmp" / "browser-failures"
RUNS = ROOT / ".tmp" / "browser-runs"
FAILED = pytest.StashKey[bool]()
VIEWPORT: ViewportSize = {"width": 1280, "height": 1000}

# The first browser test also pays for installing Chromium (apt-get) and the Playground (npm) on a clean machine;
# every wait inside a test is bounded by Playwright's own 10 s timeouts.
FIRST_RUN_TIMEOUT = 600

expect.set_options(timeout=10_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.timeout(FIRST_RUN_TIMEOUT))
            item.add_marker(pytest.mark.xdist_group("browser"))  # one Playground and browser, on one worker


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    try:
        chromium_path()
    except ChromiumUnavailable as error:
        pytest.skip(f"!!! CHROMIUM UNAVAILABLE — the browser checks did NOT run: {error}")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def playground(request: pytest.FixtureRequest) -> Iterator[PlaygroundSession]:
    """The bot on a fresh database and the Playground, their files in `.tmp/browser-runs/` (kept if a test failed)."""
    RUNS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=RUNS))
    database_url = f"sqlite+aiosqlite:///{workdir / 'bot.db'}"
    with playground_session(database_url, workdir, bot_log=workdir / "bot.log") as session:
        yield session
    if not request.session.stash.get(FAILED, False):
        shutil.rmtree(workdir)


def _guide_dir() -> Path | None:
    configured = os.environ.get("GUIDE_PICTURES_DIR")
    if not configured:
        return None
    folder = ROOT / configured
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="package")
def playground_page(browser: Browser, playground: PlaygroundSession) -> Iterator[PlaygroundClient]:
    """A staff member's browser (Japanese, Tokyo time) with the Playground open."""
    context = browser.new_context(viewport=VIEWPORT, locale="ja-JP", timezone_id="Asia/Tokyo")
    context.set_default_timeout(10_000)
    client = PlaygroundClient(context.new_page(), playground.url, _guide_dir())
    client.load()
    yield client
    context.close()


@pytest.fixture
def client(playground_page: PlaygroundClient) -> PlaygroundClient:
    playground_page.close_dialogs()
    return playground_page


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    funcargs = getattr(item, "funcargs", {})
    client = funcargs.get("client")
    if report.failed:
        item.session.stash[FAILED] = True
    if report.failed and report.when in {"setup", "call"} and isinstance(client, PlaygroundClient):
        FAILURES.mkdir(parents=True, exist_ok=True)
        path = FAILURES / (re.sub(r"[^\w.-]+", "_", item.nodeid) + ".png")
        client.page.screenshot(path=path, full_page=True)
        session = funcargs.get("playground")
        logs = f"; logs: {session.workdir}" if isinstance(session, PlaygroundSession) else ""
        report.sections.append(("browser", f"screenshot of the page: {path}{logs}"))
    return report
