"""Headless Chromium through Selenium, pointed at Debian's system browser and driver.

Nothing is downloaded (Selenium Manager is kept offline) and every request that is not to this
machine goes to a dead proxy, so a page that needs the network fails visibly.
"""

from __future__ import annotations

import os
from typing import Any

_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--proxy-server=127.0.0.1:9", "--no-first-run", "--disable-background-networking",
          "--disable-sync", "--disable-component-update", "--disable-extensions")


def chrome_options(webdriver: Any, chromium: str, *, width: int, height: int) -> Any:
    """Selenium options for ``chromium`` headless in a ``width`` x ``height`` window, offline."""
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a driver
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*_FLAGS, f"--window-size={width},{height}"):
        options.add_argument(flag)
    return options


def start_chrome(webdriver: Any, options: Any, driver_path: str) -> Any:
    """A Chrome session through the system ``chromedriver`` at ``driver_path``."""
    return webdriver.Chrome(options=options,
                            service=webdriver.ChromeService(executable_path=driver_path))
