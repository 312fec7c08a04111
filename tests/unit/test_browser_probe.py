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
