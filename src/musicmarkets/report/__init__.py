"""Numbers for people, the trust panel, and the export of an executed notebook to a
self-contained HTML page (no code, no injected parameters, no stderr, no network asset).

A package: `format` (numbers), `narrative` (findings in words), `methods` (the methods and data appendix), `tables`, `titles` (chart titles that state the takeaway), `failures` (what failed, in words), `trust` (gates and
provenance) and `export` (the HTML page); everything is importable from `musicmarkets.report`."""

from musicmarkets.report.export import (  # noqa: F401
    CSS,
    EXTERNAL_REF,
    REMOVE_TAGS,
    _strip_for_stakeholders,
    check_offline,
    figure_html,
    notebook_to_html,
)
from musicmarkets.report.failures import (  # noqa: F401
    draft_words,
    failed_refits_words,
    genre_families_note,
    genre_left_out,
    loo_words,
    named_variants,
    plain_failures,
    withheld_note,
    withheld_shifts,
)
from musicmarkets.report.format import (  # noqa: F401
    READABLE,
    chart_week,
    human_number,
    in_unit,
    percent_interval,
    possessive,
    probability_words,
    readable_summary,
    readable_table,
    share_interval,
    share_percent,
    signed_percent,
    signed_points,
    significant,
    streams_interval,
    unit_of,
    with_article,
)
from musicmarkets.report.methods import (  # noqa: F401
    SERVICE_NAMES,
    backtest_text,
    calibration_text,
    enrichment_text,
    ledger_text,
    methods_text,
    prior_check_text,
    quality_text,
    recovery_untested_note,
    sensitivity_text,
)
from musicmarkets.report.narrative import (  # noqa: F401
    LOCAL_MEASURE,
    also_at,
    early_stop_note,
    growth_alt_text,
    growth_headlines,
    growth_order,
    growth_words,
    insight_headlines,
    launch_note,
    local_share_readable,
    market_brief,
    opportunity_text,
    plain_words,
    ranked_growth,
)
from musicmarkets.report.tables import (  # noqa: F401
    METHOD_NAMES,
    backtest_table,
    breadth_tables,
    convergence_table,
    coverage_table,
    forecast_table,
    league_table,
    loo_table,
    page_links,
    partner_links,
    sensitivity_table,
    share_table,
    sources_table,
    with_region_members,
    yoy_check_table,
)
from musicmarkets.report.titles import (  # noqa: F401,E402
    forecast_title,
    growth_title,
    momentum_title,
    prior_check_title,
    rank_title,
    shift_title,
    trend_levels,
    trend_title,
)
from musicmarkets.report.trust import (  # noqa: F401
    OUTPUTS,
    Check,
    file_digest,
    gates_failed,
    git_commit,
    provenance,
    trust_panel,
    trust_rows,
)
