"""Event-level stream reports: the schema, aggregation on DuckDB or Spark, a DVC manifest, and a
generator of realistic reports drawn from the fitted model.

Labels receive daily reports at track x market x day grain (some at listener level). The same
SQL (`aggregate.QUERIES`) runs on DuckDB (embedded, out of core) or Spark (a cluster such as
EMR) and produces the market x week panel and the track x market x week table.
"""
