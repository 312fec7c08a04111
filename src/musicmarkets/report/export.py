"""Export of an executed notebook to one self-contained HTML page (no code, no injected parameters, no stderr, no network asset), and figures as embedded images."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from musicmarkets.report.templating import Markup, render

if TYPE_CHECKING:
    import nbformat

REMOVE_TAGS = {"parameters", "injected-parameters", "remove-cell"}


EXTERNAL_REF = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def smallest_text_px(fig: Any, dpi: int = 96) -> float:
    """Height in image pixels of the smallest visible text in ``fig`` (titles, labels, ticks,
    legends) when saved at ``dpi``: what a reader sees at 100% zoom before the page scales
    the image to its column."""
    from matplotlib.text import Text

    fig.canvas.draw()  # tick labels exist only once drawn
    sizes = [
        t.get_fontsize()
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_figure() is not None
    ]
    return round(min(sizes) * dpi / 72, 1) if sizes else 0.0


def figure_html(fig: Any, alt: str, dpi: int = 96) -> str:
    """Embed a matplotlib figure as a PNG data URI with alternative text; closes the figure.
    ``data-text-px`` carries the smallest text's height at the image's own size, so a browser
    test can check the text a reader gets once the page has scaled the image."""
    import matplotlib.pyplot as plt

    text_px = smallest_text_px(fig, dpi)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" data-text-px="{text_px}" '
        f'alt="{html.escape(alt, quote=True)}"></figure>'
    )


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;max-width:1000px;
margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.5}
h1{font-size:1.8rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem;display:block;max-width:100%;
overflow-x:auto}th,td{border-bottom:1px solid #e3e3e3;padding:.25rem .6rem;text-align:left;
white-space:nowrap}th{background:#f4f4f4;white-space:normal;min-width:3.5rem}
td:first-child{white-space:normal;min-width:7rem}tbody th{white-space:normal;min-width:0}
td.long{white-space:normal}.nobr{white-space:nowrap}@media (min-width:700px){td.long{min-width:11rem}}
@media (min-width:1200px){body{max-width:1200px}td.fig{white-space:nowrap}}
img{max-width:100%;height:auto}p,li{overflow-wrap:break-word}
@media print{body{max-width:none;margin:0}table{display:table;font-size:8pt}
td,th{white-space:nowrap}.trust .checks td,td.long{white-space:normal}tr{break-inside:avoid}
thead{display:table-header-group}h1,h2,h3,h4{break-after:avoid;page-break-after:avoid}
.text_cell{break-after:avoid;page-break-after:avoid}img,figure,.card,p{break-inside:avoid}}
.banner{padding:.7rem 1rem;border-radius:6px;font-weight:600;margin:.5rem 0}
.banner.ok{background:#e6f2ff;border:1px solid #0072b2;color:#003a5c}
.banner.draft{background:#fff0e0;border:2px solid #d55e00;color:#7a2e00}
.trust{border:1px solid #ccc;border-radius:8px;padding:.5rem 1rem;margin-bottom:1.5rem;background:#fafafa}
.trust table.checks{display:table;width:100%}.trust .checks td{white-space:normal;vertical-align:top}
.meaning{display:block;font-size:.82rem;color:#555}.verdict{font-weight:700}.verdict.pass{color:#1a6b2a}
.verdict.fail{color:#b02a00}.verdict.note{color:#555;font-weight:400}
.prov{font-size:.8rem;color:#555}code{font-size:.85em}
.draft-stamp{float:right;margin:.4rem 0 .4rem 1rem;background:#d55e00;color:#fff;padding:.3rem .8rem;
font-weight:700;border-radius:4px;letter-spacing:.1em}
.jp-OutputArea-output pre,.output_text pre{white-space:pre-wrap}
.period{color:#444;margin-top:0}.stale{background:#fff8d6;border:1px solid #c9a400;padding:.4rem .8rem;
border-radius:6px}.summary{font-size:1.08rem}.scope{font-size:.85rem;color:#555}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:.8rem;margin:1rem 0}
.card{border:1px solid #d6d6d6;border-radius:8px;padding:.6rem .8rem;background:#fbfbfb}
.card .label{font-size:.85rem;color:#444}.card .value{font-size:1.6rem;font-weight:700;margin:.2rem 0}
.card .detail{font-size:.82rem;color:#444}
"""


def _strip_for_stakeholders(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & REMOVE_TAGS:
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                and o.get("output_type") != "error"
            ]
            if not cell.outputs:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


def notebook_to_html(notebook: Path, title: str, draft: bool = False) -> str:
    """Render an executed notebook as one self-contained page for people who do not read code;
    ``draft`` (a gate failed, as the stages recorded it) stamps it DRAFT."""
    # here, not at the top: the page kernels never export (1.7 + 2.6 s of imports saved there)
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    nb = _strip_for_stakeholders(nb)
    exporter = HTMLExporter(template_name="basic")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.anchor_link_text = ""
    body, _ = exporter.from_notebook_node(nb)
    body = wrap_long_cells(body)
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    if heading:  # the page's own heading names it in the browser tab (a partner page: its country)
        text = html.unescape(re.sub(r"<[^>]+>", "", heading.group(1))).strip()
        title = f"{text} · {title}" if text and text not in title else title
    page = render("page.html.j2", title=title, css=Markup(CSS), draft=draft, body=Markup(body))
    page += "\n"
    check_offline(page)
    return page


LONG_CELL = 26  # characters: a table cell longer than this is text, and may wrap
# a figure with its interval and unit ("0.876 bn (0.755 to 1.00 bn)", "+7% (-4% to +19%) on
# 79.7 bn"): where it must wrap, it wraps between the figure, its interval and its base, never
# inside one of them ("(0.755 to 1.00 / bn)")
_PART = re.compile(r"\([^()<>]*\)|\bon [^()<>]+$|^[^()<>]+?(?= \()")
_NUMBER = r"[\s\d.,+\-\u2212\u2013%()]*"
_FIGURE = re.compile(rf"{_NUMBER}(?:(?:to|on|of|bn|M|k|pts|x)\b{_NUMBER})*")
_CELL = re.compile(r"<td(?P<attrs>(?:\s[^>]*)?)>(?P<body>.*?)</td>", re.S)


def wrap_long_cells(body: str, limit: int = LONG_CELL) -> str:
    """Mark table cells that hold text (longer than ``limit`` characters) so that they wrap:
    numbers and interval cells ("20.9 bn (17.9 to 24.8 bn)") stay on one line, a sentence in
    a table wraps instead of pushing the table past a laptop's width."""

    def mark(m: re.Match[str]) -> str:
        text = html.unescape(re.sub(r"<[^>]+>", "", m["body"])).strip()
        if len(text) <= limit or "class=" in m["attrs"]:
            return m[0]
        body = m["body"]
        if _FIGURE.fullmatch(text):  # breaks only between its parts, never inside one
            body = _PART.sub(lambda p: f'<span class="nobr">{p[0]}</span>', body)
            return f'<td class="long fig"{m["attrs"]}>{body}</td>'  # one line on a laptop
        return f'<td class="long"{m["attrs"]}>{body}</td>'

    return _CELL.sub(mark, body)


def check_offline(page: str) -> None:
    """Raise if the page would load anything from a network host."""
    found = EXTERNAL_REF.findall(page)
    if found:
        raise ValueError(f"report references {len(found)} network asset(s), e.g. {found[0]!r}")
