"""What the page tests share: Debian's Chromium under Playwright, and the app served by waitress."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from bot import paths

CHROMIUM = Path("/usr/bin/chromium")
# the flags this machine needs: no sandbox as root, and no background calls to a network that is closed
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = paths.REPO / "reports" / "screenshots"
MISSING = "needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)"


@contextlib.contextmanager
def serve(app, name: str) -> Iterator[str]:
    """Run a WSGI app under waitress on a free loopback port; yields its base URL."""
    import waitress

    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(timeout=5)


@contextlib.contextmanager
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
