"""A PostgreSQL server for the tests: one fresh schema per test in the `TRACKER_TEST_PG` database.

A schema is much cheaper than a database, and a URL whose connections set `search_path`
to it gives the store a private, empty namespace that tracker sees as a whole database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

PG_ENV = "TRACKER_TEST_PG"


def with_search_path(url: URL, schema: str) -> URL:
    """`url` with every connection's search_path set to `schema` (keeping other options)."""
    options = url.query.get("options", "")
    if isinstance(options, tuple):
        options = " ".join(options)
    extra = f"-csearch_path={schema}"
    return url.update_query_dict({"options": f"{options} {extra}".strip()})


class PgServer:
    """The server named by `TRACKER_TEST_PG`, with an autocommit connection for set-up."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        if self.url.get_backend_name() != "postgresql":
            raise ValueError(f"{PG_ENV} must be a postgresql+psycopg:// URL, not {url!r}")
        self.admin: Engine = create_engine(
            self.url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )

    def execute(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def new_schema(self) -> tuple[str, str]:
        """A new, empty schema and a URL whose connections use it."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self.execute(f'CREATE SCHEMA "{name}"')
        return name, with_search_path(self.url, name).render_as_string(hide_password=False)

    def drop_schema(self, name: str) -> None:
        self.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

    @contextmanager
    def schema(self) -> Iterator[str]:
        """The URL of a fresh, empty store, dropped afterwards."""
        name, url = self.new_schema()
        try:
            yield url
        finally:
            self.drop_schema(name)

    def role_url(self, store_url: str, role: str) -> str:
        """`store_url` connecting as `role` instead (the test server trusts local users)."""
        return (
            make_url(store_url)
            .set(username=role, password=None)
            .render_as_string(hide_password=False)
        )

    def close(self) -> None:
        self.admin.dispose()
