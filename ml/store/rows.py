"""Query results as dicts by column name: the one way `ml.store` reads rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row

__all__ = ["rows"]


def rows(
    conn: psycopg.Connection[Any], sql: str, params: Sequence[Any] | Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Every row of `sql` with `params`, as a dict by column name."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql.encode(), params)
        return cur.fetchall()
