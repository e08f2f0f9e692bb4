"""Browser fixtures: the app served on a free port, Debian's Chromium through Playwright.

Every test here is marked `browser`. Without Chromium or Playwright they skip with how to
enable them (under CI=true they fail instead, like the rest of the suite).
"""
from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

import support

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
SCREENSHOTS = ROOT / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}


def chromium_path() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """One headless Chromium for the whole run."""
    executable = chromium_path()
    if executable is None:
        support.skip_or_fail("browser tests need Chromium: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        support.skip_or_fail("browser tests need Playwright for Python: pip install -e '.[test]' "
                     "(and apt-get install chromium; never `playwright install`)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except Exception as error:  # noqa: BLE001 - any launch failure means the same thing here
        playwright.stop()
        support.skip_or_fail(f"Chromium at {executable} would not start ({error}); apt-get install chromium")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def new_context(browser):  # type: ignore[no-untyped-def]
    """Makes more browser contexts (a second person, JavaScript off); all closed after the test."""
    contexts = []

    def make(**options):  # type: ignore[no-untyped-def]
        options.setdefault("viewport", VIEWPORT)
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):  # type: ignore[no-untyped-def]
    """A page in a fresh context (no cookies), 1280x900, 10 s timeouts."""
    page = new_context().new_page()
    page.set_default_timeout(10_000)
    return page


@dataclass
class LiveServer:
    url: str
    app: object
    server: object

    def make_class(self, name: str = "Year 9", code: str = "K7QXM2PA", assign: str | None = None,
                   instructor: str = "teacher", **settings) -> int:  # type: ignore[no-untyped-def]
        """A class with a join code and an instructor, optionally with a set assigned."""
        return support.make_classroom(self.app, name=name, code=code, assign=assign, instructor=instructor,
                                      **settings)


@pytest.fixture
def live_server(request, tmp_path):  # type: ignore[no-untyped-def]
    """The app on a fresh SQLite database with the sample set and the seed sets, on a free port."""
    from werkzeug.serving import make_server

    from quiz import create_app
    from quiz.db import db
    from quiz.importer import import_paths

    helpers = support
    url = helpers.database_url("sqlite", request, tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "browser-tests-secret",
                      "TESTING": False, "WTF_CSRF_ENABLED": True,
                      # salted scrypt still, at a cost that keeps sign-ups quick in tests
                      "PASSWORD_HASH_METHOD": getattr(helpers, "FAST_HASH", "scrypt:1024:8:1")})
    app.instance_path = str(tmp_path / "instance")
    sets = tmp_path / "sets"
    sets.mkdir()
    (sets / "sample.yaml").write_text(helpers.SAMPLE_SET, encoding="utf-8")
    with app.app_context():
        report = import_paths(db.session, [sets, ROOT / "questions"])
        assert not report.errors and len(report.new) >= 4, report.lines()  # the sample + the seed sets
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, server=server)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Saves a full-page PNG as ROOT/screenshots/NAME (git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(name="screenshot")
def screenshot_fixture():  # type: ignore[no-untyped-def]
    """The `screenshot(page, name)` helper, for test modules (they cannot import this file)."""
    return screenshot
