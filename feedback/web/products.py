"""Key products: mark them, and check their bad reviews of the day (the daily key-product practice)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from feedback import clock, db, products
from feedback.errors import Invalid
from feedback.models import Role
from feedback.web.auth import requires

bp = Blueprint("products", __name__, url_prefix="/products")
READERS = (Role.admin, Role.manager, Role.head, Role.agent)
EDITORS = (Role.admin, Role.manager)


@bp.get("")
@requires(*READERS)
def index():
    args = request.args
    page = products.list_products(db.session(), q=args.get("q", "").strip(), key_only=args.get("key") == "1",
                                  page=args.get("page", 1, type=int), per_page=current_app.config["PAGE_SIZE"])
    return render_template("products/index.html", page=page)


@bp.post("")
@requires(*EDITORS)
def add():
    try:
        product = products.add_product(db.session(), ref=request.form.get("ref", ""), name=request.form.get("name", ""),
                                       key_product=bool(request.form.get("key_product")), now=clock.now())
    except Invalid as exc:
        flash(str(exc), "error")
    else:
        flash(_("Product %(ref)s saved.", ref=product.ref), "success")
    return redirect(url_for("products.index"))


@bp.post("/<int:product_id>/key")
@requires(*EDITORS)
def mark(product_id: int):
    product = products.set_key_product(db.session(), product_id, request.form.get("key_product") == "1")
    message = _("%(ref)s is a key product.", ref=product.ref) if product.key_product else _("%(ref)s is no longer a key product.", ref=product.ref)
    flash(message, "success")
    return redirect(request.form.get("next") or url_for("products.index"))


@bp.get("/bad-reviews")
@requires(*READERS)
def bad_reviews():
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        day = clock.business_date(clock.now())
    page = products.bad_reviews(db.session(), day, page=request.args.get("page", 1, type=int),
                                per_page=current_app.config["PAGE_SIZE"])
    return render_template("products/bad_reviews.html", page=page, day=day)
