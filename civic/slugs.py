"""Readable, unique addresses (slugs) made from names: "Queen's Park Café" -> "queens-park-cafe"."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from civic.db import db


def slugify(text: str, max_length: int = 60, fallback: str = "") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower().replace("&", " and ").replace("'", "")).strip("-")
    return slug[:max_length].strip("-") or fallback


def free_slug(column: InstrumentedAttribute, text: str, *, fallback: str, max_length: int = 60,
              reserved: Iterable[str] = ()) -> str:
    """The slug of ``text``, or ``slug-2``, ``slug-3``... when taken in ``column`` (one query).

    A simultaneous insert can still take it: callers insert inside a savepoint and retry.
    """
    base = slugify(text, max_length - 4, fallback)
    pattern = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%"
    taken = set(db.session.scalars(select(column).where((column == base) | column.like(pattern, escape="\\"))))
    taken |= set(reserved)
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
