"""Key products: mark them, then see the day's bad reviews of them."""

from datetime import datetime, timezone

import sqlalchemy as sa

from feedback import intake
from feedback.models import Product
from tests.factories import incoming


def review(**overrides):
    return incoming(channel="review", source="shop", **overrides)


def test_a_manager_marks_a_key_product_and_sees_its_bad_reviews_of_the_day(client, login, session):
    login("manager")
    client.post("/products", data={"ref": "KETTLE-2", "name": "Kettle", "key_product": "1"})
    client.post("/products", data={"ref": "MUG-1", "name": "Mug"})
    today = datetime.now(timezone.utc)
    intake.import_items(session, [
        review(external_id="a", product_ref="KETTLE-2", rating=1, body="Leaks from the base", received_at=today),
        review(external_id="b", product_ref="KETTLE-2", rating=5, body="Lovely", received_at=today),
        review(external_id="c", product_ref="MUG-1", rating=1, body="Chipped", received_at=today),
    ], channel="review", source="shop")
    page = client.get("/products/bad-reviews").text
    assert "Leaks from the base" in page and "Lovely" not in page and "Chipped" not in page
    listing = client.get("/products?key=1").text
    assert "KETTLE-2" in listing and "MUG-1" not in listing


def test_unmarking_stops_new_alerts(client, login, session):
    login("manager")
    client.post("/products", data={"ref": "KETTLE-2", "key_product": "1"})
    product = session.exec(sa.select(Product)).scalar_one()
    client.post(f"/products/{product.id}/key", data={"key_product": "0"})
    session.refresh(product)
    assert not product.key_product


def test_agents_read_but_do_not_mark(client, login, session):
    login("agent")
    assert client.get("/products").status_code == 200
    assert client.post("/products", data={"ref": "X"}).status_code == 403
