"""A real browser for the hosted pages: Debian's headless Chromium driven by selenium through
chromium-driver, with a fresh profile per browser, and a screenshot of every step kept under
`test-artifacts/screenshots/` (the CI artifact; `make test` installs both packages when missing).

Never skipped: a missing chromium fails the test with the command that installs it. No
selenium-manager download happens, since both the browser and the driver are given by path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from .processes import REPO_ROOT

__all__ = ["SCREENSHOTS", "Browser", "chromium"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
# Headless in a container as root: no sandbox, no GPU, and nothing that reaches the network
# on its own (updates, sync, QUIC probes) while the test runs.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1000,900",
)


@dataclass
class Browser:
    driver: webdriver.Chrome
    shots_prefix: str
    shots: list[Path] = field(default_factory=list)

    def open(self, url: str) -> None:
        self.driver.get(url)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self) -> str:
        return self.find("body").text

    def source(self) -> str:
        return self.driver.page_source

    def wait_for_heading(self, words: str, timeout_s: float = 15) -> None:
        """Until the page's h1 contains `words`."""
        WebDriverWait(
            self.driver,
            timeout_s,
            ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
        ).until(lambda d: words in d.find_element(By.TAG_NAME, "h1").text)

    def press(self, css: str, timeout_s: float = 15) -> None:
        """Click a submit button and wait until the next page replaced this one (the answer
        may carry the same heading, as a refused sign-in does)."""
        page = self.find("html")
        self.find(css).click()
        WebDriverWait(self.driver, timeout_s).until(expected_conditions.staleness_of(page))

    def screenshot(self, step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.shots_prefix}-{len(self.shots) + 1:02d}-{step}.png"
        assert self.driver.save_screenshot(str(path)), f"no screenshot saved at {path}"
        self.shots.append(path)
        return path


@contextmanager
def chromium(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Browser]:
    """One headless Chromium with a profile of its own, closed when the block ends."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: run `make test` (or, as root, "
            "`apt-get install -y chromium chromium-driver`)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    prefix = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name).removeprefix("test_")[:80]
    try:
        yield Browser(driver, prefix)
    finally:
        driver.quit()
