"""Products as reviews name them, key products, and the daily check of key products' bad reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from feedback.errors import Invalid, NotFound
from feedback.models import Category, Feedback, Product
from feedback.pagination import Page, paginate

BAD_RATING = 2  # a review rated this or lower is bad
NOT_PROBLEMS = ("praise", "other")  # categories that are not a problem of the product


def is_bad_review(rating: int | None, category_key: str | None = None) -> bool:
    """A review is bad when rated 1–2 or classified into a problem category."""
    if rating is not None and rating <= BAD_RATING:
        return True
    return bool(category_key) and category_key not in NOT_PROBLEMS


def flag_reviews(session: Session, rows: list[dict]) -> None:
    """Set key_product_alert on a batch of feedback rows about to be stored; note products never seen before.

    One query per batch: the known products among the batch's refs (new ones are inserted). Rows
    classified into a problem category count as bad reviews too.
    """
    refs = {row["product_ref"] for row in rows if row["channel"] == "review" and row["product_ref"]}
    if not refs:
        return
    known = dict(session.execute(select(Product.ref, Product.key_product).where(Product.ref.in_(refs))).all())
    if len(known) < len(refs):
        _note_products(session, refs - set(known), rows[0]["created_at"])
    keys = {ref for ref, key in known.items() if key}
    if not keys:
        return
    categories = _category_keys(session, {row.get("category_id") for row in rows} - {None})
    for row in rows:
        if row["channel"] == "review" and row["product_ref"] in keys:
            row["key_product_alert"] = is_bad_review(row["rating"], categories.get(row.get("category_id")))


def _note_products(session: Session, refs: set[str], now: datetime) -> None:
    """Products named by reviews appear on the products page, ready to be marked key."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Product.__table__)
    rows = [{"ref": ref, "name": "", "key_product": False, "created_at": now} for ref in sorted(refs)]
    session.connection().execute(insert.on_conflict_do_nothing(index_elements=["ref"]), rows)


def _category_keys(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Category.id, Category.key).where(Category.id.in_(ids))).all())


@dataclass
class ProductRow:
    product: Product
    reviews: int
    bad_reviews: int


def list_products(session: Session, *, q: str = "", key_only: bool = False, page: int = 1, per_page: int = 50) -> Page:
    """Products with how many reviews and bad reviews they have; key products first."""
    stmt = select(Product)
    if q:
        like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(sa.or_(sa.func.lower(Product.ref).like(like, escape="\\"), sa.func.lower(Product.name).like(like, escape="\\")))
    if key_only:
        stmt = stmt.where(Product.key_product)
    found = paginate(session, stmt.order_by(Product.key_product.desc(), Product.ref), page=page, per_page=per_page)
    counts = _review_counts(session, [p.ref for p in found.items])
    found.items = [ProductRow(p, *counts.get(p.ref, (0, 0))) for p in found.items]
    return found


def _review_counts(session: Session, refs: list[str]) -> dict[str, tuple[int, int]]:
    if not refs:
        return {}
    bad = sa.func.sum(sa.case((Feedback.rating <= BAD_RATING, 1), else_=0))
    rows = session.execute(
        sa.select(Feedback.product_ref, sa.func.count(), bad)
        .where(Feedback.channel == "review", Feedback.product_ref.in_(refs)).group_by(Feedback.product_ref)
    ).all()
    return {ref: (total, int(bad or 0)) for ref, total, bad in rows}


def add_product(session: Session, *, ref: str, name: str = "", key_product: bool = False, now: datetime) -> Product:
    """Register a product by the ref reviews use (or update its name and key flag)."""
    ref = ref.strip()
    if not ref or len(ref) > 100:
        raise Invalid("a product ref of 1–100 characters is required")
    product = session.exec(select(Product).where(Product.ref == ref)).first()
    if product is None:
        product = Product(ref=ref, created_at=now)
        session.add(product)
    product.name = name.strip()[:200] or product.name
    product.key_product = key_product
    session.commit()
    return product


def set_key_product(session: Session, product_id: int, key_product: bool) -> Product:
    """Mark or unmark a key product; alerts apply to reviews stored from now on."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"no product {product_id}")
    product.key_product = key_product
    session.commit()
    return product


def bad_reviews(session: Session, day: date, *, page: int = 1, per_page: int = 50) -> Page:
    """The day's flagged bad reviews of key products (business day), worst rating first."""
    stmt = (
        select(Feedback).options(defer(Feedback.raw))
        .where(Feedback.key_product_alert, Feedback.business_date == day)
        .order_by(Feedback.rating.asc().nulls_last(), Feedback.received_at.desc(), Feedback.id.desc())
    )
    return paginate(session, stmt, page=page, per_page=per_page)
