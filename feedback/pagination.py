"""One page of a list, counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        """1-based position of the first item on this page (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)


def paginate(session: Session, stmt: Any, *, page: int = 1, per_page: int = 50, scalars: bool = True) -> Page:
    """Run `stmt` for one page and count all its rows with one COUNT query."""
    page = max(1, page)
    total = session.execute(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(rows.scalars() if scalars else rows.all())
    return Page(items=items, page=page, per_page=per_page, total=total)
