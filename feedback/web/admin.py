"""Admin pages: users and departments, and the taxonomy they work in."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from feedback import audit, clock, db, taxonomy, users
from feedback.errors import Invalid
from feedback.models import Role
from feedback.schemas import UserIn, validated
from feedback.web.auth import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users", endpoint="users")
@requires(Role.admin)
def user_list():
    args = request.args
    page = users.list_users(
        db.session(), q=args.get("q", ""), role=args.get("role", ""), sort=args.get("sort", "name"),
        page=args.get("page", 1, type=int), per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template("admin/users.html", page=page, roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Role.admin)
def user_new():
    form = request.form
    if request.method == "POST":
        try:
            user = users.create_user(db.session(), _user_input(form), now=clock.now())
        except Invalid as exc:
            flash(str(exc), "error")
        else:
            flash(_("User %(name)s created.", name=user.name), "success")
            return redirect(url_for("admin.users"))
    return _user_form(None, form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Role.admin)
def user_edit(user_id: int):
    session = db.session()
    user = users.get_user(session, user_id)
    form = request.form
    if request.method == "POST":
        try:
            users.update_user(session, user_id, _user_input(form), active=bool(form.get("active")), by=current_user)
        except Invalid as exc:
            session.rollback()
            flash(str(exc), "error")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.users"))
    return _user_form(user, form)


def _user_input(form) -> UserIn:
    return validated(
        UserIn, email=form.get("email", ""), name=form.get("name", ""), role=form.get("role", ""),
        password=form.get("password", ""), department=form.get("department") or None,
        language=form.get("language") or None,
    )


def _user_form(user, form):
    departments = taxonomy.department_choices(db.session())
    return render_template("admin/user_form.html", user=user, form=form, roles=list(Role), departments=departments)


@bp.get("/departments")
@requires(Role.admin, Role.manager)
def departments():
    return render_template("admin/departments.html", rows=taxonomy.list_departments(db.session()))


@bp.post("/departments/<key>")
@requires(Role.admin)
def department_edit(key: str):
    form = request.form
    try:
        taxonomy.update_department(
            db.session(), key, name_en=form.get("name_en", ""), name_zh=form.get("name_zh", ""),
            active=bool(form.get("active")),
        )
    except Invalid as exc:
        flash(str(exc), "error")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for("admin.departments"))


@bp.get("/audit")
@requires(Role.admin)
def audit_log():
    """Who changed users, roles, departments, categories, KPI targets, SLA rules and API tokens."""
    args = request.args
    page = audit.list_events(db.session(), subject=args.get("subject", ""), page=args.get("page", 1, type=int),
                             per_page=current_app.config["PAGE_SIZE"])
    return render_template("admin/audit.html", page=page, subjects=audit.SUBJECTS)


@bp.get("/categories")
@requires(Role.admin, Role.manager, Role.head)
def categories():
    session = db.session()
    return render_template(
        "admin/categories.html",
        categories=taxonomy.categories(session),
        departments={d.id: d for d in taxonomy.department_choices(session)},
    )

