"""Open a page in headless Chromium (Debian's package) and report what a reader would get:
the rendered DOM, a screenshot, console errors and every URL the page asked for."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html import escape as html_escape
from html import unescape as html_unescape
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


# The page is laid out in an iframe of the width under test (headless Chromium will not make a
# window narrower than 500 px); a script in the outer page measures the frame's document.
WIDTH_FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="frame" style="border:0;display:block" width="{width}" height="{height}"
 srcdoc="{page}"></iframe><pre id="width-probe"></pre>
<script>
document.getElementById('frame').addEventListener('load', function () {{
  var doc = this.contentDocument, root = doc.documentElement, view = root.clientWidth;
  var wide = Array.prototype.slice.call(doc.body.querySelectorAll('*')).filter(function (e) {{
    var r = e.getBoundingClientRect();
    if (r.right <= view + 1 || getComputedStyle(e).position === 'fixed') return false;
    for (var a = e.parentElement; a; a = a.parentElement) {{  // inside its own scroller: fine
      var o = getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'scroll') return false;
    }}
    return true;
  }}).slice(0, 5).map(function (e) {{ return e.tagName.toLowerCase() + '.' + e.className; }});
  var tables = Array.prototype.slice.call(doc.querySelectorAll('table')).filter(function (t) {{
    return t.scrollWidth > t.clientWidth + 1;  // scrolls sideways inside its own box
  }}).map(function (t) {{
    return (t.querySelector('th, td') || t).textContent.trim().slice(0, 40) + ' (' +
      t.scrollWidth + ' in ' + t.clientWidth + ' px)';
  }});
  var lines = function (e) {{  // lines of text an element takes, by its height
    var lh = parseFloat(getComputedStyle(e).lineHeight) || 1.2 * parseFloat(getComputedStyle(e).fontSize);
    var pad = parseFloat(getComputedStyle(e).paddingTop) + parseFloat(getComputedStyle(e).paddingBottom);
    return Math.round((e.getBoundingClientRect().height - pad) / lh);
  }};
  var banner = doc.querySelector('.banner');
  var textLines = function (e) {{  // line boxes the element's own text is laid out in
    var range = doc.createRange(); range.selectNodeContents(e);
    var tops = {{}};
    Array.prototype.forEach.call(range.getClientRects(), function (r) {{
      if (r.width > 0) tops[Math.round(r.bottom)] = true;
    }});
    return Object.keys(tops).length;
  }};
  var wrapped = Array.prototype.slice.call(doc.querySelectorAll('td')).filter(function (c) {{
    return / to /.test(c.textContent) && c.textContent.length < 60 && textLines(c) > 1;
  }}).slice(0, 5).map(function (c) {{ return c.textContent.trim(); }});
  var text = Array.prototype.slice.call(doc.querySelectorAll('img[data-text-px]')).map(function (i) {{
    return i.getBoundingClientRect().width / i.naturalWidth * parseFloat(i.dataset.textPx);
  }});
  document.getElementById('width-probe').textContent = JSON.stringify({{page: root.scrollWidth,
    viewport: view, wide: wide, text: text.length ? Math.min.apply(null, text) : null,
    charts: text.length, tables: tables, banner: banner ? textLines(banner) : null,
    wrapped: wrapped}});
}});
</script></body></html>"""


@dataclass
class Width:
    page: int
    viewport: int
    wide: list[str]  # the first elements that stick out past the viewport
    chart_text_px: float | None = None  # smallest chart text as laid out (None: no chart)
    charts: int = 0
    scrolling_tables: list[str] = field(default_factory=list)  # tables that scroll inside
    banner_lines: int | None = None  # lines the trust status takes (None: no banner)
    wrapped_cells: list[str] = field(default_factory=list)  # interval cells over two lines


def page_width(page: Path, width: int, screenshot: Path | None = None) -> Width:
    """Lay ``page`` out in a ``width``-pixel viewport and measure the document's width against
    the viewport's: a page wider than its viewport scrolls sideways. With ``screenshot``, also
    save what that viewport shows (2,400 px tall)."""
    exe = chromium()
    if exe is None:
        raise FileNotFoundError("no chromium on PATH")
    text = page.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        outer = Path(tmp) / "frame.html"
        outer.write_text(
            WIDTH_FRAME.format(width=width, height=2400, page=html_escape(text, quote=True)),
            encoding="utf-8",
        )
        common = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile"]
        window = f"--window-size={max(width, 500)},2400"
        dom = subprocess.run(
            [*common, window, "--dump-dom", outer.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        if screenshot is not None:
            subprocess.run(
                [*common, window, f"--screenshot={screenshot}", outer.as_uri()],
                capture_output=True,
                timeout=120,
                check=True,
            )
    found = re.search(r'<pre id="width-probe">(.*?)</pre>', dom, re.S)
    if not found or not found.group(1):
        raise RuntimeError(f"{page.name}: the width probe did not run")
    measured = json.loads(html_unescape(found.group(1)))
    return Width(
        measured["page"],
        measured["viewport"],
        measured["wide"],
        measured["text"],
        measured["charts"],
        measured["tables"],
        measured["banner"],
        measured["wrapped"],
    )


def print_pdf(page: Path, pdf: Path) -> int:
    """Chromium's print to PDF (what a partner forwards); returns the number of pages."""
    exe = chromium()
    if exe is None:
        raise FileNotFoundError("no chromium on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                exe,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={tmp}/profile",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes()))
