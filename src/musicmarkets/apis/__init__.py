"""Clients of external APIs: one polite HTTP client (rate limit, retries, timeout, on-disk
response cache) and one small module per service."""
