import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa

from feedback import taxonomy
from feedback.errors import Invalid
from feedback.models import KPI, Category, Department

GOLD_LABELS = [
    "product.out_of_stock", "product.assortment", "product.quality", "product.not_as_described",
    "logistics.late", "logistics.failed", "logistics.wrong_missing_damaged", "logistics.courier",
    "service.response", "service.attitude", "service.returns", "site.usability", "marketing.price",
    "praise", "other",
]
MISSION_KPIS = {
    "product": ["assortment", "out-of-stock", "turnover"],
    "logistics": ["on-time", "success", "wrong"],
    "service": ["problem-solving", "24-hour", "satisfaction"],
}


def count(session, model) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_shipped_taxonomy_has_the_gold_labels_and_mission_kpis():
    data = taxonomy.read(taxonomy.taxonomy_file(None))
    assert [c["key"] for c in data["category"]] == GOLD_LABELS
    assert {d["key"] for d in data["department"]} == {"product", "logistics", "service", "site", "marketing"}
    for department, words in MISSION_KPIS.items():
        names = " ".join(k["name_en"].lower() for k in data["kpi"] if k["department"] == department)
        for word in words:
            assert word in names, f"{department} lacks a KPI about {word}"
    for kpi in data["kpi"]:
        assert kpi["direction"] in ("higher", "lower") and kpi["source"] in ("computed", "imported")
    for category in data["category"]:
        if category["key"] not in ("praise", "other"):
            assert category["keywords_en"] and category["keywords_zh"] and category["kpis"], category["key"]


def test_load_is_idempotent(session):
    first = taxonomy.load(session, taxonomy.taxonomy_file(None))
    assert first.created == count(session, Department) + count(session, Category) + count(session, KPI)
    assert count(session, Category) == 15
    again = taxonomy.load(session, taxonomy.taxonomy_file(None))
    assert (again.created, again.updated) == (0, 0)
    late = session.exec(sa.select(Category).where(Category.key == "logistics.late")).scalar_one()
    assert late.kpi_keys and all(isinstance(k, str) for k in late.kpi_keys)


def test_instance_file_overrides_and_updates_in_place(session, tmp_path):
    taxonomy.load(session, taxonomy.taxonomy_file(None))
    shipped = taxonomy.taxonomy_file(None).read_text(encoding="utf-8")
    (tmp_path / "taxonomy.toml").write_text(shipped.replace('name_en = "Product"', 'name_en = "Merchandise"', 1), encoding="utf-8")
    assert taxonomy.taxonomy_file(tmp_path) == tmp_path / "taxonomy.toml"
    result = taxonomy.load(session, taxonomy.taxonomy_file(tmp_path))
    assert (result.created, result.updated) == (0, 1)
    product = session.exec(sa.select(Department).where(Department.key == "product")).scalar_one()
    assert product.name_en == "Merchandise"


def test_unknown_references_are_refused(tmp_path):
    bad = tmp_path / "taxonomy.toml"
    bad.write_text('[[department]]\nkey="a"\nname_en="A"\nname_zh="甲"\n'
                   '[[category]]\nkey="a.x"\ndepartment="a"\nname_en="X"\nname_zh="X"\nkpis=["nope"]\n')
    with pytest.raises(Invalid, match="unknown KPIs"):
        taxonomy.read(bad)


def test_department_listing_counts_members_and_heads(session, loaded_taxonomy):
    from tests.factories import make_user

    make_user(session, role="head", department="logistics", name="Zhang Wei")
    make_user(session, role="agent", department="logistics")
    rows = {r.department.key: r for r in taxonomy.list_departments(session)}
    assert rows["logistics"].members == 2
    assert rows["logistics"].heads == ["Zhang Wei"]
    assert rows["logistics"].categories == 4
    assert rows["product"].heads == []
