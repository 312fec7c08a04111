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


def test_width_probe_counts_the_lines_of_the_trust_status_and_of_interval_cells(
    tmp_path, need_chromium
):
    """A one-line banner and a three-line one; an interval cell that fits and one squeezed
    into 80 px: the probe must tell them apart."""
    from musicmarkets.report.export import CSS
    from tests.browser import page_width

    cells = (
        "<table><tr><td>Germany</td><td>2.61 bn (2.40 to 2.84 bn)</td></tr></table>"
        '<table><tr><td>Spain</td><td style="width:80px;white-space:normal">'
        "+9% (\u22121% to +23%) on 9.97 bn</td></tr></table>"
    )
    page = tmp_path / "lines.html"
    short = '<p class="banner draft">DRAFT: 1 check failed (x).</p>'
    page.write_text(f"<html><head><style>{CSS}</style></head><body>{short}{cells}</body></html>")
    seen = page_width(page, 1280)
    assert seen.banner_lines == 1, seen
    assert seen.wrapped_cells == ["+9% (\u22121% to +23%) on 9.97 bn"], seen
    long = f'<p class="banner draft">DRAFT: {"a check failed; " * 30}</p>'
    page.write_text(f"<html><head><style>{CSS}</style></head><body>{long}</body></html>")
    assert page_width(page, 1280).banner_lines >= 3
