"""Open a page in headless Chromium (Debian's package) and report what a reader would get:
the rendered DOM, a screenshot, console errors and every URL the page asked for."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageVisit:
    dom: str
    requested_urls: list[str]
    console_errors: list[str]
    screenshot: Path


def visit(page: Path, screenshot: Path, width: int = 1100, height: int = 4200) -> PageVisit:
    """Load ``page`` twice (DOM dump; screenshot with a network log) and collect the results."""
    exe = chromium()
    if exe is None:
        raise FileNotFoundError("no chromium on PATH")
    url = page.resolve().as_uri()
    with tempfile.TemporaryDirectory() as tmp:
        netlog = Path(tmp) / "net.json"
        common = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile"]
        dom = subprocess.run(
            [*common, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
        )
        shot = subprocess.run(
            [
                *common,
                f"--log-net-log={netlog}",
                f"--screenshot={screenshot}",
                f"--window-size={width},{height}",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        urls = _urls(netlog)
    errors = [
        line
        for line in (dom.stderr + shot.stderr).splitlines()
        if "CONSOLE" in line and ("Uncaught" in line or "ERROR" in line.upper())
    ]
    return PageVisit(dom.stdout, urls, errors, screenshot)


def _urls(netlog: Path) -> list[str]:
    """URLs the *page* asked the network for, from Chromium's network log.

    The browser's own service requests carry the initiator "not an origin"; a request made by a
    page opened from a file carries the page's opaque origin ("null"). Files themselves are not
    network requests and do not appear.
    """
    events = json.loads(netlog.read_text(encoding="utf-8")).get("events", [])
    return sorted(
        {
            e["params"]["url"]
            for e in events
            if isinstance(e.get("params"), dict)
            and "url" in e["params"]
            and e["params"].get("initiator", "not an origin") != "not an origin"
        }
    )
