"""How urgent a ticket is and who owns it: the priority score and each department's assignment rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from feedback import history, outbox, sla
from feedback.errors import Invalid, NotFound
from feedback.models import Category, Department, Feedback, Priority, Role, Ticket, TicketStatus, User

PRIORITIES = [Priority.low, Priority.normal, Priority.high, Priority.urgent]
RANK = {p.value: i for i, p in enumerate(PRIORITIES)}
RULES = ("head", "round_robin", "least_open", "queue")
OPEN = (TicketStatus.open, TicketStatus.in_progress)  # what "least open tickets" counts
WORKER_ROLES = (Role.head, Role.agent)  # who can own a department's tickets


def priority_for(severity: int, *, worst_rating: int | None, key_product: bool, feedback_count: int) -> str:
    """Score = category severity + bad rating + key product + how many items report it; mapped to a priority."""
    score = severity
    if worst_rating is not None:
        score += 2 if worst_rating <= 1 else 1 if worst_rating == 2 else 0
    score += 2 if key_product else 0
    score += 2 if feedback_count >= 6 else 1 if feedback_count >= 3 else 0
    if score >= 7:
        return Priority.urgent
    if score >= 5:
        return Priority.high
    return Priority.normal if score >= 3 else Priority.low


def higher(a: str, b: str) -> str:
    """The more urgent of two priorities."""
    return a if RANK.get(a, 1) >= RANK.get(b, 1) else b


def priority_of(category: Category, items: list, *, count: int | None = None) -> str:
    """The priority of a new ticket from its feedback items (grouping.Item: rating, key_product)."""
    ratings = [i.rating for i in items if i.rating is not None]
    return priority_for(
        category.severity, worst_rating=min(ratings) if ratings else None,
        key_product=any(i.key_product for i in items), feedback_count=count or len(items),
    )


@dataclass
class Figures:
    """What a ticket's priority is computed from, over all its feedback."""

    count: int
    worst_rating: int | None
    key_product: bool


def figures_of(session: Session, ticket_ids: list[int]) -> dict[int, Figures]:
    """Feedback count, worst rating and key-product flag per ticket, in one GROUP BY."""
    rows = session.execute(
        sa.select(Feedback.ticket_id, sa.func.count(), sa.func.min(Feedback.rating),
                  sa.func.max(sa.cast(Feedback.key_product_alert, sa.Integer)))
        .where(Feedback.ticket_id.in_(ticket_ids)).group_by(Feedback.ticket_id)
    )
    return {t: Figures(n, worst, bool(key)) for t, n, worst, key in rows}


def refresh(ticket: Ticket, category: Category | None, figures: Figures | None, rules: sla.Rules,
            *, by: User | None, now: datetime) -> list[dict]:
    """Count, key product, priority (never lowered) and due date (never later) follow the ticket's feedback."""
    if figures is None or category is None:
        return []
    ticket.feedback_count = figures.count
    ticket.key_product = ticket.key_product or figures.key_product
    computed = priority_for(category.severity, worst_rating=figures.worst_rating,
                            key_product=ticket.key_product, feedback_count=figures.count)
    priority = higher(ticket.priority, computed)
    if priority == ticket.priority:
        return []
    events = [history.event(ticket.id, "priority", ticket.priority, priority, by=by, now=now)]
    ticket.priority = priority
    due = sla.due_at(ticket.opened_at, sla.hours_for(rules, category, priority))
    if ticket.due_at is None or due < ticket.due_at:
        events.append(history.event(ticket.id, "due_at", ticket.due_at, due, by=by, now=now))
        ticket.due_at = due
    return events


class Assigner:
    """Chooses owners for many tickets at once: each department's members and open counts are read once."""

    def __init__(self, session: Session, department_ids: Iterable[int | None]):
        wanted = sorted({d for d in department_ids if d is not None})
        self.session = session
        stmt = sa.select(Department).where(Department.id.in_(wanted)).order_by(Department.id)
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update()  # two importers must not hand out the same round-robin turn
        self.departments = {d.id: d for d in session.execute(stmt).scalars()}
        self.members: dict[int, list[User]] = {d: [] for d in wanted}
        for user in session.execute(
            sa.select(User).where(User.department_id.in_(wanted), User.active, User.role.in_(WORKER_ROLES)).order_by(User.id)
        ).scalars():
            self.members[user.department_id].append(user)
        self.open_counts = self._open_counts(wanted)

    def _open_counts(self, wanted: list[int]) -> dict[int, int]:
        least_open = [d for d in wanted if d in self.departments and self.departments[d].assign_rule == "least_open"]
        ids = [u.id for d in least_open for u in self.members[d]]
        if not ids:
            return {}
        return dict(self.session.execute(
            sa.select(Ticket.owner_id, sa.func.count()).where(Ticket.owner_id.in_(ids), Ticket.status.in_(OPEN))
            .group_by(Ticket.owner_id)
        ).all())

    def owner_for(self, department_id: int | None) -> User | None:
        """The next owner by the department's rule; None leaves the ticket in the department queue."""
        department = self.departments.get(department_id)
        members = self.members.get(department_id, [])
        if department is None or not members:
            return None
        rule = department.assign_rule
        if rule == "head":
            return next((u for u in members if u.role == Role.head), None)
        if rule == "round_robin":
            chosen = next((u for u in members if u.id > (department.last_assigned_id or 0)), members[0])
            department.last_assigned_id = chosen.id
            return chosen
        if rule == "least_open":
            chosen = min(members, key=lambda u: (self.open_counts.get(u.id, 0), u.id))
            self.open_counts[chosen.id] = self.open_counts.get(chosen.id, 0) + 1
            return chosen
        return None

    def user(self, user_id: int | None) -> User | None:
        """A member already loaded, else from the database."""
        for members in self.members.values():
            for user in members:
                if user.id == user_id:
                    return user
        return self.session.get(User, user_id) if user_id else None


def notify_owners(session: Session, assigned: list[tuple[int, int]], *, now: datetime) -> None:
    """Queue a mail to each new owner (ticket id, owner id) in the assigning transaction; sent by the outbox job."""
    outbox.enqueue_assigned(session, assigned, now=now)


def set_rule(session: Session, department_key: str, rule: str) -> Department:
    """Choose how a department's new tickets find their owner."""
    if rule not in RULES:
        raise Invalid(f"rule: one of {', '.join(RULES)}")
    department = session.execute(sa.select(Department).where(Department.key == department_key)).scalar_one_or_none()
    if department is None:
        raise NotFound(f"no department {department_key!r}")
    department.assign_rule = rule
    session.commit()
    return department
