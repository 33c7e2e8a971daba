"""Departments, categories and KPIs: loaded from taxonomy.toml, edited by admins."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from feedback.errors import Invalid, NotFound
from feedback.models import KPI, Category, Department, Role, User

DEPARTMENT_FIELDS = ("name_en", "name_zh")
KPI_FIELDS = ("name_en", "name_zh", "description_en", "description_zh", "unit", "direction", "target", "source")
CATEGORY_FIELDS = ("name_en", "name_zh", "severity", "sla_hours", "keywords_en", "keywords_zh")


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    source: str = ""


def taxonomy_file(instance_path: str | Path | None) -> Path:
    """instance/taxonomy.toml when the instance overrides it, else the packaged default."""
    if instance_path and (Path(instance_path) / "taxonomy.toml").exists():
        return Path(instance_path) / "taxonomy.toml"
    return Path(str(resources.files("feedback") / "taxonomy.toml"))


def read(path: Path) -> dict:
    """Parse and check a taxonomy file: every reference must name a defined key."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    departments = {d["key"] for d in data.get("department", [])}
    kpis = {k["key"] for k in data.get("kpi", [])}
    for item in data.get("kpi", []) + data.get("category", []):
        if item.get("department") and item["department"] not in departments:
            raise Invalid(f"{path.name}: {item['key']} names unknown department {item['department']!r}")
    for category in data.get("category", []):
        missing = set(category.get("kpis", [])) - kpis
        if missing:
            raise Invalid(f"{path.name}: {category['key']} names unknown KPIs {sorted(missing)}")
    return data


def load(session: Session, path: Path) -> LoadResult:
    """Insert or update every department, KPI and category of the file; safe to run again."""
    data = read(path)
    result = LoadResult(source=str(path))
    department_ids = {}
    for item in data.get("department", []):
        row = _upsert(session, Department, item, DEPARTMENT_FIELDS, result)
        department_ids[item["key"]] = row.id
    for item in data.get("kpi", []):
        _upsert(session, KPI, item, KPI_FIELDS, result, department_id=department_ids.get(item.get("department")))
    for item in data.get("category", []):
        _upsert(
            session, Category, item, CATEGORY_FIELDS, result,
            department_id=department_ids.get(item.get("department")), kpi_keys=item.get("kpis", []),
        )
    session.commit()
    return result


def _upsert(session: Session, model, item: dict, fields: tuple[str, ...], result: LoadResult, **extra):
    """Find a row by key and bring it in line with the file, counting what changed."""
    row = session.exec(select(model).where(model.key == item["key"])).first()
    values = {f: item[f] for f in fields if f in item} | extra
    if row is None:
        row = model(key=item["key"], **values)
        session.add(row)
        session.flush()
        result.created += 1
    elif any(getattr(row, f) != v for f, v in values.items()):
        for f, v in values.items():
            setattr(row, f, v)
        result.updated += 1
    return row


@dataclass
class DepartmentRow:
    department: Department
    members: int
    heads: list[str]
    categories: int


def list_departments(session: Session) -> list[DepartmentRow]:
    """Every department with its member count, heads and category count (three grouped queries)."""
    departments = list(session.exec(select(Department).order_by(Department.key)))
    members = dict(session.execute(
        sa.select(User.department_id, sa.func.count()).where(User.active).group_by(User.department_id)
    ).all())
    categories = dict(session.execute(
        sa.select(Category.department_id, sa.func.count()).group_by(Category.department_id)
    ).all())
    heads: dict[int, list[str]] = {}
    for department_id, name in session.execute(
        sa.select(User.department_id, User.name).where(User.role == Role.head, User.active).order_by(User.name)
    ):
        heads.setdefault(department_id, []).append(name)
    return [
        DepartmentRow(d, members.get(d.id, 0), heads.get(d.id, []), categories.get(d.id, 0)) for d in departments
    ]


def department_choices(session: Session) -> list[Department]:
    return list(session.exec(select(Department).where(Department.active).order_by(Department.key)))


def update_department(session: Session, key: str, *, name_en: str, name_zh: str, active: bool) -> Department:
    """Rename a department or take it out of use."""
    department = session.exec(select(Department).where(Department.key == key)).first()
    if department is None:
        raise NotFound(f"no department {key!r}")
    if not name_en.strip() or not name_zh.strip():
        raise Invalid("both names are required")
    department.name_en, department.name_zh, department.active = name_en.strip(), name_zh.strip(), active
    session.commit()
    return department


def categories(session: Session) -> list[Category]:
    return list(session.exec(select(Category).order_by(Category.key)))
