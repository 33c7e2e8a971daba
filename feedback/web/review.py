"""Weekly review pages: the review and its archive, Pareto with drill-down, clearance, KPIs, projects."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from feedback import charts, clearance, clock, db, kpi, mail, pareto, projects, review, taxonomy
from feedback.errors import Invalid
from feedback.web.auth import signed_in_user
from feedback.web.filters import chinese
from feedback.models import Channel, Department

bp = Blueprint("review", __name__)

KPI_STATUS = {"on_target": _l("on target"), "at_risk": _l("at risk"), "breached": _l("breached"), "no_data": _l("no data")}
KPI_BADGE = {"on_target": "ok", "at_risk": "warn", "breached": "bad", "no_data": ""}
MODE_LABELS = {"feedback": _l("by feedback"), "tickets": _l("by tickets"), "severity": _l("by severity-weighted count")}
ITEM_STATES = {"open": _l("not cleared"), "closed": _l("closed"), "carried": _l("carried over")}


@bp.app_template_filter("dname")
def dict_name(item: dict) -> str:
    """The Chinese or English name of a snapshot row (a dict, not a model)."""
    return (item.get("name_zh") if chinese() else item.get("name_en")) or item.get("name_en") or item.get("key", "")


@bp.app_template_filter("kpi_status")
def kpi_status(status: str) -> str:
    return str(KPI_STATUS.get(status, status))


@bp.app_template_filter("pct")
def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"



def _week(text: str | None = None) -> str:
    return pareto.week_label(text if text is not None else request.values.get("week"), now=clock.now())


def _common() -> dict:
    return {"badge": KPI_BADGE, "states": ITEM_STATES, "modes": MODE_LABELS}


# --- the review and its archive ------------------------------------------------------------------


@bp.get("/reviews")
@login_required
def index():
    reviews = review.archive(db.session())
    return render_template("review/index.html", reviews=reviews, suggested=_week(""), **_common())


@bp.post("/reviews")
@login_required
def build():
    week = _week()
    review.build(db.session(), week, now=clock.now(), by=signed_in_user())
    return redirect(url_for("review.detail", week=week))


@bp.get("/reviews/<week>")
@login_required
def detail(week: str):
    session, label = db.session(), _week(week)
    found = review.get(session, label)
    data = review.contents(session, found, config=current_app.config, now=clock.now())
    chart = review.pareto_svg(data, title=_("Pareto of %(week)s", week=label), zh=chinese())
    statuses = {k["key"]: k for k in data["kpis"]}
    return render_template("review/detail.html", review=found, data=data, chart=chart, statuses=statuses,
                           spark=_sparks(data["pareto"]), **_common())


def _sparks(data: dict) -> dict:
    return {r["key"]: charts.sparkline(r["spark"], title=", ".join(map(str, r["spark"]))) for r in data["rows"]}


@bp.post("/reviews/<week>/notes")
@login_required
def notes(week: str):
    review.set_notes(db.session(), _week(week), request.form.get("notes", ""), by=signed_in_user(), now=clock.now())
    flash(_("Notes saved."), "success")
    return redirect(url_for("review.detail", week=week))


@bp.post("/reviews/<week>/close")
@login_required
def close(week: str):
    session = db.session()
    closed = review.close(session, _week(week), by=signed_in_user(), config=current_app.config, now=clock.now(),
                          notes=request.form.get("notes"))
    try:
        sent = review.mail_review(session, closed, config=current_app.config)
        flash(_("Review closed and mailed to %(n)d people.", n=sent), "success")
    except mail.MailError as exc:
        flash(_("Review closed, but the mail could not be sent: %(error)s", error=str(exc)), "error")
    return redirect(url_for("review.detail", week=week))


# --- Pareto --------------------------------------------------------------------------------------


@bp.get("/pareto")
@login_required
def pareto_page():
    session, week = db.session(), _week()
    mode, channel, department = request.args.get("by", "feedback"), request.args.get("channel", ""), request.args.get("department", "")
    result = pareto.weekly(session, week, mode=mode, channel=channel, department=department,
                           cut=review.settings(current_app.config)["cut"])
    data = {"pareto": pareto.as_dict(result)}
    statuses = {s.kpi.key: review.kpi_row(s) for s in kpi.week_statuses(session, week, margin=review.settings(current_app.config)["margin"])}
    chart = review.pareto_svg(data, title=_("Pareto of %(week)s", week=week), zh=chinese())
    return render_template("review/pareto.html", week=week, data=data, chart=chart, statuses=statuses,
                           spark=_sparks(data["pareto"]), channels=[c.value for c in Channel],
                           departments=taxonomy.department_choices(session), mode=mode, channel=channel,
                           department=department, **_common())


@bp.get("/pareto/items")
@login_required
def pareto_items():
    week, category = _week(), request.args.get("category", "")
    found = pareto.items(db.session(), week, category, channel=request.args.get("channel", ""))
    return render_template("review/items.html", week=week, category=category, items=found)


# --- clearance -----------------------------------------------------------------------------------


@bp.get("/clearance")
@login_required
def clearance_page():
    session, user = db.session(), signed_in_user()
    week = _week(request.args.get("week") or clock.iso_week(clock.business_date(clock.now())))
    key = request.args.get("department") or _own_department_key(session, user)
    department = next((d for d in taxonomy.department_choices(session) if d.key == key), None)
    items = clearance.week_list(session, week, department.id) if department else []
    summary = clearance.summary(session, week)
    return render_template("review/clearance.html", week=week, department=department, items=items, summary=summary,
                           departments=taxonomy.department_choices(session),
                           may_clear=clearance.may_clear(user, department.id if department else None),
                           today=clock.business_date(clock.now()), **_common())


def _own_department_key(session, user) -> str:
    department = session.get(Department, user.department_id) if user.department_id else None
    return department.key if department else ""


@bp.post("/clearance/carry")
@login_required
def carry():
    week = _week()
    new_due = _date(request.form.get("new_due", ""), _("new due date"))
    done = clearance.carry_over(db.session(), week, request.form.get("ticket", ""), request.form.get("reason", ""),
                                new_due, by=signed_in_user(), now=clock.now())
    flash(_("%(number)s carried over to next week.", number=f"FB-{done.ticket_id:06d}"), "success")
    return redirect(url_for("review.clearance_page", week=week, department=request.form.get("department", "")))


@bp.post("/clearance/sign-off")
@login_required
def sign_off():
    week, key = _week(), request.form.get("department", "")
    clearance.sign_off(db.session(), week, key, by=signed_in_user(), now=clock.now())
    flash(_("The list of %(week)s is signed off.", week=week), "success")
    return redirect(url_for("review.clearance_page", week=week, department=key))


def _number(text: str, name: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise Invalid(_("%(name)s: a number", name=name)) from None


def _date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(_("%(name)s: a date like 2026-11-30", name=name)) from None


# --- KPIs ----------------------------------------------------------------------------------------


@bp.get("/kpis")
@login_required
def kpis():
    session, week = db.session(), _week()
    cache: dict = {}  # computed KPIs share their queries per week
    statuses = kpi.week_statuses(session, week, margin=review.settings(current_app.config)["margin"], previous=True, cache=cache)
    trends = {s.kpi.key: charts.kpi_trend(kpi.trend(session, s.kpi, week, cache=cache), target=s.kpi.target, title=s.kpi.name_en)
              for s in statuses}
    start, end = kpi.week_range(week)
    days = {s.kpi.key: kpi.daily(session, s.kpi, week, cache=cache) for s in statuses if s.kpi.key in kpi.COMPUTED}
    return render_template("review/kpis.html", week=week, statuses=statuses, trends=trends, days=days,
                           per_channel=kpi.complaints_per_channel(session, start, end),
                           breaches=kpi.breach_tickets(session, week), may_enter=lambda k: kpi.may_enter(signed_in_user(), k),
                           start=start, end=end, **_common())


@bp.post("/kpis/values")
@login_required
def kpi_value():
    start = _date(request.form.get("period_start", ""), _("start"))
    end = _date(request.form.get("period_end", "") or start.isoformat(), _("end"))
    amount = _number(request.form.get("value", ""), _("value"))
    kpi.set_value(db.session(), request.form.get("kpi", ""), start, end, amount, by=signed_in_user(), now=clock.now())
    flash(_("Value saved."), "success")
    return redirect(url_for("review.kpis", week=request.form.get("week") or clock.iso_week(start)))


# --- projects ------------------------------------------------------------------------------------


@bp.get("/projects")
@login_required
def project_list():
    status = request.args.get("status", "open")
    views = projects.listing(db.session(), now=clock.now(), status=status if status in projects.STATUSES else None)
    return render_template("review/projects.html", views=views, status=status, statuses=projects.STATUSES)


@bp.get("/projects/new")
@login_required
def project_form():
    session, week, category = db.session(), _week(), request.args.get("category", "")
    chosen = next((c for c in taxonomy.categories(session) if c.key == category), None)
    return render_template("review/project_form.html", week=week, category=chosen, owners=projects.owner_choices(session),
                           kpis=kpi.all_kpis(session), refs=projects.week_ticket_refs(session, week, category))


@bp.post("/projects/new")
@login_required
def project_create():
    form, week = request.form, _week()
    goal, due = form.get("goal_value", "").strip(), form.get("due_date", "").strip()
    data = projects.ProjectIn(
        title=form.get("title", ""), category_key=form.get("category", ""),
        owner_id=form.get("owner_id", type=int), kpi_key=form.get("kpi", ""),
        goal_value=_number(goal, _("goal value")) if goal else None,
        due_date=_date(due, _("due date")) if due else None, ticket_refs=form.get("tickets", ""))
    project = projects.open_project(db.session(), week, data, by=signed_in_user(), now=clock.now())
    flash(_("Project “%(title)s” opened.", title=project.title), "success")
    return redirect(url_for("review.detail", week=week) if review.get(db.session(), week, required=False)
                    else url_for("review.project_list"))


@bp.post("/projects/<int:project_id>/status")
@login_required
def project_status(project_id: int):
    projects.set_status(db.session(), project_id, request.form.get("status", ""), by=signed_in_user(), now=clock.now())
    return redirect(url_for("review.project_list"))
