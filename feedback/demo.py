"""Demo data for `make run`: the taxonomy's departments get people to sign in as."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from feedback import users
from feedback.models import Role, User
from feedback.schemas import UserIn

DEMO_PASSWORD = "feedback-demo"
# (email, name, role, department)
DEMO_USERS = [
    ("admin@example.com", "Ada Admin", Role.admin, None),
    ("manager@example.com", "Wang Fang", Role.manager, "service"),
    ("product.head@example.com", "Li Na", Role.head, "product"),
    ("logistics.head@example.com", "Zhang Wei", Role.head, "logistics"),
    ("service.head@example.com", "Chen Jing", Role.head, "service"),
    ("site.head@example.com", "Liu Yang", Role.head, "site"),
    ("marketing.head@example.com", "Zhao Min", Role.head, "marketing"),
    ("agent@example.com", "Sam Agent", Role.agent, "service"),
    ("agent2@example.com", "Sun Li", Role.agent, "service"),
    ("viewer@example.com", "Vic Viewer", Role.viewer, None),
]


def load_users(session: Session, *, now: datetime) -> int:
    """Create the demo users that do not exist yet; returns how many were created."""
    existing = set(session.exec(select(User.email)))
    created = 0
    for email, name, role, department in DEMO_USERS:
        if email in existing:
            continue
        data = UserIn(email=email, name=name, role=role, password=DEMO_PASSWORD, department=department)
        users.create_user(session, data, now=now)
        created += 1
    return created
