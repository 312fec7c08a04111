"""`dvc repro` on a small configuration in a temporary copy of the project.

Small: three markets plus the Global chart, the year 2017 (which holds Germany's and the Global
chart's missing weeks), few draws. Checks the outputs, the no-op second run, an experiment that
changes one model parameter (only the fit and the report re-run), the report's sections, and
every executed notebook through nbval. The configuration is in small.py; the same-bytes check
runs in test_determinism.py, beside this file's run.
"""

from __future__ import annotations

import html
import json
import re
import shutil

import pandas as pd
import pytest
import yaml

from tests.conftest import commit_all, run
from tests.pipeline.small import ADDED, LEGACY, SECRETS, SMALL, restored, small_project

pytestmark = pytest.mark.slow

STAGES = (
    "ingest",
    "enrich",
    "breadth",
    "panel",
    "fit",
    "variants@pooled",
    "sensitivity",
    "prior_check",
    "compare",
    "lfo",
    "shares",
    "check_recent_fit",
    "forecast",
    "backtest",
    "report",
    "partner",
    "technical",
    "events_simulate",
    "events_manifest",
    "events",
)
PAGES = (
    "reports/index.html",
    "reports/technical.html",
    "reports/markets/de.html",
    "reports/markets/gb.html",
    "reports/markets/it.html",
)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = small_project(tmp_path_factory.mktemp("pipeline") / "project")
    first = run(["dvc", "repro"], root, env=SECRETS)
    return root, first


def test_every_stage_ran_and_wrote_its_outputs(small):
    root, first = small
    for stage in STAGES:
        assert f"Running stage '{stage}'" in first.stdout
    stages = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    for stage in stages.values():
        for entry in stage.get("outs", []) + stage.get("metrics", []):
            out = entry if isinstance(entry, str) else next(iter(entry))  # {path: options}
            assert (root / out).exists(), out
    assert not list(root.glob("reports/*.failed.ipynb"))


def test_no_secret_reaches_any_output_log_or_cache(small):
    root, first = small
    needles = [v.encode() for v in SECRETS.values()] + [b"pw-dummy-3f8a"]
    log = (first.stdout + first.stderr).encode()
    assert not [n for n in needles if n in log]
    leaks = []
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if path.is_file() and ".git" not in parts and parts[0] != "tests":  # tests name the dummies
            data = path.read_bytes()
            leaks += [f"{path.relative_to(root)}: {n.decode()}" for n in needles if n in data]
    assert leaks == []
    assert (root / "reports/index.html").is_file() and list((root / ".dvc" / "cache").rglob("*"))


def test_outputs_follow_the_small_configuration(small):
    root, _ = small
    charts = pd.read_parquet(root / "data/interim/charts.parquet")
    assert set(charts["market"]) == {"de", "gb", "it", "global"}
    assert charts["week_start"].min() == pd.Timestamp("2017-01-06")
    assert charts["week_start"].max() == pd.Timestamp("2017-12-29")
    gaps = pd.read_parquet(root / "data/interim/gaps.parquet")
    assert ("de", pd.Timestamp("2017-05-26")) in set(
        zip(gaps["market"], gaps["week_start"], strict=True)
    )
    fit = json.loads((root / "reports/metrics/fit.json").read_text())
    for key in ("r_hat_max", "ess_bulk_min", "ess_tail_min", "divergences", "sampling_seconds"):
        assert key in fit
    assert fit["markets"] == 3 and fit["draws"] == 300 and fit["chains"] == 2
    # the sensitivity refit: the production model on the weeks up to its cut only, on the
    # technical page beside the production fit's growth
    import arviz as az

    cut = pd.Timestamp(SMALL["sensitivity"]["fit_until"])
    refit = az.from_netcdf(root / "models/sensitivity.nc")
    weeks = pd.to_datetime(refit["constant_data"]["week_start"].to_numpy())
    assert weeks.max() == cut
    assert (
        json.loads((root / "reports/metrics/sensitivity.json").read_text())["fit_until"]
        == (SMALL["sensitivity"]["fit_until"])
    )
    technical = (root / "reports/technical.html").read_text()
    end = cut + pd.Timedelta(days=6)  # the last day of the last chart week, as the pages write it
    assert f"Growth, weeks to {end:%-d %b %Y}" in technical


def test_model_file_holds_posterior_and_observed_data(small):
    import arviz as az

    root, _ = small
    tree = az.from_netcdf(root / "models/consumption.nc")
    assert {"posterior", "observed_data", "constant_data", "sample_stats"} <= set(tree.children)
    assert list(tree["posterior"]["market"].to_numpy()) == ["de", "gb", "it"]


def test_report_sections_and_honest_gates(small):
    root, _ = small
    page = (root / "reports/index.html").read_text()
    for section in (
        "Key findings",
        "Momentum ranking",
        "What the next quarters look like",
        "Where consumption is shifting",
        "Opportunity markets",
        "how well the models are checked",
        "seasonal naive",
        "trend against the data",
        "Data coverage and quality",
        "Beyond the eight markets",
        "can and cannot measure",
        "chart rows",
        "Methods and data",
        "Convergence (R-hat",
    ):
        assert section in page, section
    from musicmarkets import report

    def metrics(name: str) -> dict:
        return json.loads((root / f"reports/metrics/{name}.json").read_text())

    failed = report.gates_failed(
        metrics("fit"), metrics("shares"), metrics("backtest"), recent=metrics("recent_fit")
    )
    # a failed gate (any model, the backtest, the recent-weeks check) must be visible on the
    # page; a page whose gates all passed must not be stamped DRAFT
    assert ('class="draft-stamp"' in page) == bool(failed)
    # in plain words on the stakeholder page, with the exact figures on the technical report
    from musicmarkets.config import paths
    from musicmarkets.report.inputs import ReportInputs

    names = ReportInputs(paths(root)).names
    for phrase in report.plain_failures(failed, names):
        assert html.escape(phrase, quote=False) in page, phrase
    technical = (root / "reports/technical.html").read_text()
    for failure in failed:
        assert html.escape(failure) in technical, failure
    # no code, no injected parameters, nothing loaded from a network host
    assert "import " not in page and "injected-parameters" not in page
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)


def test_second_run_is_a_no_op(small):
    root, _ = small
    again = run(["dvc", "repro"], root)
    assert "Running stage" not in again.stdout
    assert (
        run(["dvc", "status"], root).stdout.strip().endswith("Data and pipelines are up to date.")
    )


def test_experiment_on_a_model_parameter_reruns_only_its_stages(small):
    """A model parameter re-runs the fit and what reads it, never ingest or the panel (`dvc status`); an experiment on a report parameter runs for real and re-runs the
    pages alone."""
    root, _ = small
    with restored(root):
        params = yaml.safe_load((root / "params.yaml").read_text())
        params["fit"]["priors"]["trend_sigma"] = 0.25
        (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        status = run(["dvc", "status"], root).stdout
        assert "fit:" in status and "modified:" in status and "fit.priors" in status
        assert "ingest:" not in status and "panel:" not in status
        run(["git", "checkout", "--", "params.yaml"], root)
        exp = run(["dvc", "exp", "run", "-S", "report.partner_markets=[de,gb]"], root)
        assert "Running stage 'report'" in exp.stdout and "Running stage 'partner'" in exp.stdout
        pages = sorted(p.name for p in (root / "reports/markets").glob("*.html"))
        assert pages == ["de.html", "gb.html"]  # Italy's page is no longer made
        assert "Running stage 'fit'" not in exp.stdout
        assert "Running stage 'shares'" not in exp.stdout
        shown = run(["dvc", "exp", "show", "--csv"], root).stdout
        assert "report.partner_markets" in shown


def test_a_page_rendered_after_others_in_one_kernel_is_the_page_rendered_alone(small, tmp_path):
    """The partner stage renders every market in one kernel (imports and inputs loaded once):
    the last market's page, rendered alone in a fresh kernel, has the same bytes."""
    root, first = small
    assert (first.stdout + first.stderr).count("stage partner: market=") == 3
    cmd = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]["partner"]["cmd"]
    title = cmd.split('--title "')[1].split('"')[0]
    alone = tmp_path / "it.html"
    run(
        [
            "musicmarkets", "run", "partner", "notebooks/62_report_market.py",
            str(tmp_path / "it.ipynb"), "--html", str(alone), "--title", title, "--set", "market=it",
        ],
        root,
    )  # fmt: skip
    # the provenance line names the commit checked out now, which other tests move on
    prov = re.compile(rb'<p class="prov">.*?</p>', re.S)
    pages = [alone.read_bytes(), (root / "reports/markets/it.html").read_bytes()]
    assert [len(prov.findall(page)) for page in pages] == [1, 1]
    assert prov.sub(b"", pages[0]) == prov.sub(b"", pages[1])


def test_compare_says_whether_two_revisions_posteriors_agree(small):
    """`musicmarkets compare`: a revision against itself agrees; a tighter growth prior moves
    the growth estimates, listed in posterior sd; `dvc metrics diff` shows the same shift."""
    root, _ = small
    commit_all(root, "first run")
    same = run(["musicmarkets", "compare", "HEAD", "workspace"], root)
    assert same.returncode == 0 and same.stdout.startswith("AGREE")
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["fit"]["priors"]["trend_sigma"] = 0.01
    params["fit"]["priors"]["trend_mu_sd"] = 0.01  # growth pinned near zero
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["dvc", "repro", "fit"], root)
    moved = run(["musicmarkets", "compare", "HEAD", "workspace"], root, check=False)
    assert moved.returncode == 3, moved.stdout + moved.stderr
    assert moved.stdout.startswith("DIFFER") and "trend_market[" in moved.stdout
    diff = run(["dvc", "metrics", "diff"], root).stdout
    assert "growth.de.mean" in diff
    run(["git", "checkout", "--", "params.yaml", "dvc.lock", "reports/metrics"], root)
    run(["dvc", "checkout"], root)
    assert "up to date" in run(["dvc", "status"], root).stdout


def test_editing_a_package_file_reruns_exactly_the_stages_that_run_it(small):
    """dvc.yaml declares every package file a stage runs (tests/unit/test_dvc_deps.py); so an
    edit to one of them marks exactly those stages changed (`dvc status`), no fewer, no more."""
    from musicmarkets.config import load_stages

    root, _ = small
    edited = "src/musicmarkets/models/share_summary.py"
    expected = {n for n, s in load_stages(root).items() if edited in s.get("deps", [])}
    assert expected == {"shares", "check_recent_fit"}  # the stages that run the summaries
    with restored(root):
        with open(root / edited, "a", encoding="utf-8") as fh:
            fh.write("\n# an edit\n")
        status = json.loads(run(["dvc", "status", "--json"], root).stdout)
        assert set(status) == expected, status
        edited_all = "src/musicmarkets/models/modelfile.py"  # every stage that reads a fit
        run(["git", "checkout", "--", edited], root)
        with open(root / edited_all, "a", encoding="utf-8") as fh:
            fh.write("\n# an edit\n")
        status = json.loads(run(["dvc", "status", "--json"], root).stdout)
        readers = {n for n, s in load_stages(root).items() if edited_all in s.get("deps", [])}
        assert set(status) == readers and {"fit", "forecast", "backtest"} <= readers, status


@pytest.mark.heavy
def test_why_splits_a_forecast_change_between_data_params_and_code(small):
    """Only a parameter changes between two commits: the data and code effects are exactly
    zero and the parameter carries the whole change."""
    root, _ = small
    commit_all(root, "before")
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["fit"]["priors"]["trend_sigma"] = 0.05
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    commit_all(root, "after: tighter growth prior")
    try:
        res = run(["musicmarkets", "why", "HEAD~1", "HEAD", "--out", "reports/why_test.json"], root)
        table = pd.DataFrame(json.loads((root / "reports/why_test.json").read_text())["rows"])
    finally:
        run(["git", "reset", "-q", "--hard", "HEAD~1"], root)
    assert "change split by factor" in res.stdout
    assert set(table["key"]) >= {"de", "gb", "it", "all"}
    assert (table["data"] == 0).all() and (table["code"] == 0).all()
    assert (table["change"] != 0).any()
    assert (table["params"] - table["change"]).abs().max() < 1e-6 * table["forecast_a"].max()
    assert "up to date" in run(["dvc", "status"], root).stdout


@pytest.mark.heavy
def test_executed_notebooks_pass_nbval(small, tmp_path):
    # in a copy, so that re-executing the notebooks cannot disturb the other checks
    root = tmp_path / "nbval"
    shutil.copytree(small[0], root, ignore=shutil.ignore_patterns(".dvc", ".git"))
    notebooks = sorted(
        str(p.relative_to(root)) for p in (root / "reports").glob("[0-9][0-9]_*.ipynb")
    )
    stages = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    declared = {
        out
        for stage in stages.values()
        for out in stage.get("outs", [])
        if isinstance(out, str) and re.fullmatch(r"reports/\d\d_\w+\.ipynb", out)
    }
    assert notebooks == sorted(declared) and len(notebooks) >= 14
    res = run(
        [
            "python",
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "-q",
            *notebooks,
            "-o",
            "addopts=",
            "--rootdir",
            str(root),
        ],
        root,
        check=False,
    )
    assert res.returncode == 0, res.stdout[-5000:]
    assert re.search(r"\b\d+ passed\b", res.stdout)


def test_stakeholder_pages_hold_aggregates_only_and_fit_the_size_budget(small):
    root, _ = small
    charts = pd.read_parquet(root / "data/interim/charts.parquet")
    # long, distinctive raw values: track ids and titles of the charted rows
    ids = charts["track_id"].dropna().drop_duplicates().sample(200, random_state=0)
    titles = charts["track_name"].dropna()
    titles = titles[titles.str.len() >= 12].drop_duplicates().sample(200, random_state=0)
    for page in PAGES:
        text = (root / page).read_text()
        assert (root / page).stat().st_size < 10 * 2**20, page
        assert not [i for i in ids if i in text], f"{page} shows raw track ids"
        assert not [t for t in titles if html.escape(t) in text], f"{page} shows raw track titles"
        assert "import " not in text and "injected-parameters" not in text


def test_reports_render_offline_in_a_real_browser(small, artifacts_dir):
    from tests.browser import chromium, visit

    if chromium() is None:
        pytest.skip(
            "BROWSER TESTS DID NOT RUN: no chromium on PATH (.ci/run installs Debian's chromium)"
        )
    root, _ = small
    expected = {
        "reports/index.html": (
            "Key findings",
            "Momentum ranking",
            "What the next quarters",
            "Where consumption is shifting",
            "Opportunity markets",
            "Data coverage",
            "Methods and data",
            "markets/de.html",
            '<div id="trust">',  # the full trust panel, one loader call for every page
        ),
        "reports/technical.html": (
            "Convergence of every model",
            "Posterior predictive checks",
            "What the priors expect",
            "Model comparison",
            "Rolling-origin backtest",
            '<div id="trust">',
        ),
        "reports/markets/de.html": (
            "Germany",
            "In brief",
            "The next quarters",
            "Where consumption is shifting",
            "../index.html",
            'href="#trust"',  # the one-line trust status, linking to the panel at the end
            "How far the numbers can be trusted",
            '<div id="trust">',
        ),
    }
    for page, sections in expected.items():
        shot = artifacts_dir / (
            page.replace("reports/", "").replace("/", "_").replace(".html", ".png")
        )
        seen = visit(root / page, shot)
        for section in sections:
            assert section in seen.dom, (page, section)
        assert seen.dom.count("<img") >= 2 and 'alt=""' not in seen.dom, page
        assert seen.requested_urls == [], f"{page} asked the network for {seen.requested_urls}"
        assert seen.console_errors == [], page
        assert shot.is_file() and shot.stat().st_size > 30_000, page
        assert ('class="draft-stamp"' in seen.dom) == ('class="banner draft"' in seen.dom)


def test_pages_fit_phone_laptop_and_desktop_widths_and_print(small, artifacts_dir):
    """No sideways scrolling at 375, 1024 and 1440 px (the page's width against the viewport's,
    measured in Chromium; at 1024 px and wider, no table scrolling inside its box), screenshots
    of each in tests/artifacts, chart text at least 11 px at 1280 px (the smallest label as
    laid out); on the executive and partner pages at 1280 px, the trust status on one line and
    no interval cell over two; and a PDF a partner can forward."""
    from tests.browser import chromium, page_width, print_pdf

    if chromium() is None:
        pytest.skip(
            "BROWSER TESTS DID NOT RUN: no chromium on PATH (.ci/run installs Debian's chromium)"
        )
    root, _ = small
    for page in ("reports/index.html", "reports/markets/de.html", "reports/technical.html"):
        stem = page.replace("reports/", "").replace("/", "_").replace(".html", "")
        for width in (375, 1024, 1440):
            shot = artifacts_dir / f"{stem}_{width}.png"
            seen = page_width(root / page, width, shot)
            assert seen.viewport == width, (page, width, seen)
            assert seen.page <= seen.viewport, f"{page} scrolls sideways at {width} px: {seen}"
            if width >= 1024:  # a laptop: every table fits (a phone may scroll a wide one)
                assert seen.scrolling_tables == [], (page, width, seen.scrolling_tables)
            assert shot.is_file() and shot.stat().st_size > 10_000, (page, width)
        at_laptop = page_width(root / page, 1280)  # chart text a reader gets on a laptop
        assert at_laptop.charts > 0, page
        assert at_laptop.chart_text_px >= 11, f"{page}: chart text {at_laptop.chart_text_px:.1f} px"
        if "technical" not in page:  # a stakeholder's page: the trust status in one line,
            assert at_laptop.banner_lines == 1, (page, at_laptop.banner_lines)
            assert at_laptop.wrapped_cells == [], (page, at_laptop.wrapped_cells)  # and intervals
    for page in ("reports/index.html", "reports/markets/de.html"):
        pdf = artifacts_dir / page.replace("reports/", "").replace("/", "_").replace(
            ".html", ".pdf"
        )
        pages = print_pdf(root / page, pdf)
        assert pages >= 1 and pdf.stat().st_size > 20_000, (page, pages)


def test_dvc_plots_draw_the_key_series_offline_in_a_real_browser(small, artifacts_dir, tmp_path):
    from tests.browser import chromium, visit

    if chromium() is None:
        pytest.skip(
            "BROWSER TESTS DID NOT RUN: no chromium on PATH (.ci/run installs Debian's chromium)"
        )
    root, _ = small
    run(["python", "-m", "musicmarkets.dvcplots"], root)  # what `make env` does
    out = tmp_path / "dvc_plots"
    run(["dvc", "plots", "show", "-o", str(out)], root)
    page = out / "index.html"
    titles = yaml.safe_load((root / "dvc.yaml").read_text())["plots"]
    seen = visit(page, artifacts_dir / "dvc_plots.png", height=2200)
    assert seen.requested_urls == [], seen.requested_urls
    assert seen.console_errors == []
    # every plot of dvc.yaml drew its chart (an SVG of marks), from the small run's data
    assert seen.dom.count('class="marks"') == len(titles) == 4
    for market in ("de", "gb", "it"):
        assert f"market: {market}" in seen.dom  # one line per market (aria labels of points)
    assert "Germany" in seen.dom and "weeks ahead" in seen.dom


@pytest.mark.heavy
def test_forecast_ledger_scores_earlier_forecasts_once_their_weeks_arrive(small):
    """A run on data up to 27 Oct 2017, then the full year: the second run scores the first
    run's forecasts for the nine weeks that arrived, and the report says so."""
    root, _ = small
    with restored(root):
        params = yaml.safe_load((root / "params.yaml").read_text())
        params["common"]["end"] = "2017-10-27"
        (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        run(["dvc", "repro"], root)
        ledger = pd.read_parquet(root / "data/ledger/forecasts.parquet")
        assert pd.Timestamp("2017-10-27") in set(ledger["origin"])
        run(["git", "checkout", "--", "params.yaml"], root)
        run(["dvc", "repro"], root)
        ledger = pd.read_parquet(root / "data/ledger/forecasts.parquet")
        assert ledger.groupby("origin")["run_id"].nunique().max() == 1  # no run recorded twice
        scores = pd.read_parquet(root / "data/processed/ledger_scores.parquet")
        assert set(scores["origin"]) == {pd.Timestamp("2017-10-27")}
        assert scores["weeks"].sum() == 9 * 3  # 3 Nov .. 29 Dec for de, gb, it
        assert scores["coverage_90"].between(0, 1).all() and (scores["crps"] > 0).all()
        page = (root / "reports/index.html").read_text()
        assert "Forecast made with data up to 27 Oct 2017" in page


@pytest.mark.heavy
def test_adding_a_market_is_dropping_its_files(small, repo):
    """A newcomer's path: copy a market's weekly files into the raw folder, run dvc repro."""
    root, _ = small
    with restored(root):
        for name in (ADDED, f"{ADDED}_features"):
            shutil.copytree(repo / LEGACY / name, root / LEGACY / name)
        params = yaml.safe_load((root / "params.yaml").read_text())
        params["report"]["partner_markets"].append(ADDED)  # and a partner page for it
        (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        res = run(["dvc", "repro"], root)
        assert "Running stage 'ingest'" in res.stdout and "Running stage 'fit'" in res.stdout
        panel = pd.read_parquet(root / "data/processed/market_week.parquet")
        assert ADDED in set(panel["market"])
        fit = json.loads((root / "reports/metrics/fit.json").read_text())
        assert fit["markets"] == 4
        page = (root / "reports/index.html").read_text()
        assert "Spain" in page and f"markets/{ADDED}.html" in page
        assert "Spain" in (root / f"reports/markets/{ADDED}.html").read_text()


def test_unparseable_raw_file_stops_ingest_and_names_it(small):
    """A raw file of the copy broken (and mended afterwards): the stage fails loudly, keeps the
    executed notebook for inspection, writes no partial output, and never touches data/raw."""
    root, _ = small
    with restored(root):
        raw = root / "data/raw/spotify_weekly_top200_8markets_2017_2020/gb"
        victim = raw / "gb_2017-03-03--2017-03-10.csv.gz"
        victim.write_bytes(victim.read_bytes()[:300])  # a truncated download
        before = {p: p.read_bytes() for p in raw.iterdir()}
        res = run(["dvc", "repro"], root, check=False)
        assert res.returncode != 0
        assert "gb_2017-03-03--2017-03-10.csv.gz" in res.stdout + res.stderr
        assert (root / "reports/10_ingest_charts.failed.ipynb").is_file()
        assert not list(root.rglob(".*.tmp")) and not list((root / "reports").glob(".*.ipynb"))
        assert {p: p.read_bytes() for p in raw.iterdir()} == before
        # the downstream stages did not run on missing input: their outputs are still the last good ones
        assert (root / "models/consumption.nc").is_file() and (
            root / "reports/index.html"
        ).is_file()
