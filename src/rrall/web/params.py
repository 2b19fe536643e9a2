"""Ids, offsets and page numbers as the database can hold them.

Stored ids are 32-bit integers on PostgreSQL and SQLite refuses integers past 64 bits, so
a larger number in a path, a query or a form used to reach the database and come back as
a 500. Every number that becomes an id, an offset or a page is bounded here instead: out
of range is a 4xx in the error shape (API) or an error page (pages).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1  # PostgreSQL `integer`, the type of every stored id
MAX_OFFSET = MAX_ID
_DIGITS = re.compile(r"[0-9]{1,10}")  # str.isdigit() also takes "²", which int() refuses

Pk = Annotated[int, Path(ge=1, le=MAX_ID, description="A stored id (1 to 2^31 - 1).")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many to skip (0 to 2^31 - 1).")]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def form_id(text: str) -> int | None:
    """A stored id typed into a form, or None when the text cannot be one."""
    text = text.strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None

# Pages list at most 200 items: page x 200 stays within MAX_OFFSET.
PageNumber = Annotated[int, Query(ge=0, le=MAX_OFFSET // 200, description="The page, from 0.")]
