"""The browser probe itself must see what it is meant to catch (a test that cannot fail is a defect)."""

import pytest

from tests.browser import chromium, visit


@pytest.fixture
def need_chromium():
    if chromium() is None:
        pytest.skip(
            "BROWSER TESTS DID NOT RUN: no chromium on PATH (.ci/run installs Debian's chromium)"
        )


def test_probe_catches_network_assets_and_console_errors(tmp_path, need_chromium):
    page = tmp_path / "bad.html"
    page.write_text(
        '<html><body><h1>Probe</h1><img src="http://example.invalid/x.png">'
        "<script>throw new Error('boom')</script></body></html>"
    )
    seen = visit(page, tmp_path / "bad.png", height=400)
    assert "Probe" in seen.dom
    assert seen.requested_urls == ["http://example.invalid/x.png"]
    assert any("boom" in e for e in seen.console_errors)
    assert (tmp_path / "bad.png").stat().st_size > 0


def test_width_probe_measures_chart_text_after_the_page_scales_the_image(tmp_path, need_chromium):
    """The same figure (10 pt text, 13.3 px at its own size) laid out at its own width and
    squeezed into a 300 px column: the probe must see the text shrink with the image."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from musicmarkets.report.export import CSS, figure_html
    from tests.browser import page_width

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([0, 1], [0, 1])
    ax.set_title("Title", fontsize=10)
    ax.tick_params(labelsize=10)
    img = figure_html(fig, "a line", dpi=96)
    assert 'data-text-px="13.3"' in img
    page = tmp_path / "chart.html"
    page.write_text(f"<html><head><style>{CSS}</style></head><body>{img}</body></html>")
    wide = page_width(page, 1280)
    assert wide.charts == 1 and abs(wide.chart_text_px - 13.3) < 0.1, wide
    page.write_text(
        f'<html><body><div style="width:300px">{img.replace("<img", "<img style='width:100%'")}</div></body></html>'
    )
    narrow = page_width(page, 1280)
    assert narrow.chart_text_px < 13.3 * 300 / 560, narrow
