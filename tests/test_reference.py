"""The per-process copy of reference data: read once, forgotten when this process writes, refreshed after a while."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event

from feedback import clock, db, reference
from feedback.models import Category, Department, User
from tests import factories


def statements(engine: sa.Engine) -> list[str]:
    """Every statement the engine sends from now on (listened to on the real connection)."""
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_: sent.append(statement))
    return sent


def test_reference_data_is_read_from_the_database_once(app, session, loaded_taxonomy):
    factories.make_user(session, role="agent", department="logistics")
    sent = statements(session.get_bind())
    first = (reference.categories(session), reference.departments(session), reference.owners(session, None))
    again = (reference.categories(session), reference.departments(session), reference.owners(session, None))
    assert again == first
    assert len(sent) == 3
    assert [c.key for c in first[0]] == sorted(c.key for c in session.execute(sa.select(Category)).scalars())
    assert [u.role for u in first[2]] == ["agent"]


def test_a_change_committed_through_a_session_is_seen_at_once(app, session, loaded_taxonomy):
    before = {d.key: d.name_en for d in reference.departments(session)}
    department = session.execute(sa.select(Department).where(Department.key == "logistics")).scalar_one()
    department.name_en = "Delivery"
    session.commit()
    assert before["logistics"] != "Delivery"
    assert {d.key: d.name_en for d in reference.departments(session)}["logistics"] == "Delivery"


def test_an_update_statement_through_a_session_is_seen_at_once(app, session, loaded_taxonomy):
    agent = factories.make_user(session, role="agent", department="logistics")
    assert [u.id for u in reference.owners(session, agent.department_id)] == [agent.id]
    session.execute(sa.update(User).where(User.id == agent.id).values(active=False))
    session.commit()
    assert reference.owners(session, agent.department_id) == []


def test_a_rolled_back_change_keeps_what_was_read(app, session, loaded_taxonomy):
    sent = statements(session.get_bind())
    reference.departments(session)
    session.execute(sa.select(Department).where(Department.key == "logistics")).scalar_one().name_en = "Delivery"
    session.flush()
    session.rollback()
    reference.departments(session)
    assert sum("FROM department" in s for s in sent) == 2  # the first read, the flushed select; not a second read


def test_another_process_change_is_seen_after_fresh_seconds(app, session, loaded_taxonomy, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(reference.time, "monotonic", lambda: clock[0])
    reference.categories(session)
    with session.get_bind().begin() as conn:  # outside any session: as another process writes
        conn.execute(sa.update(Category).where(Category.key == "logistics.late").values(name_en="Slow parcel"))
    names = lambda: {c.key: c.name_en for c in reference.categories(session)}  # noqa: E731
    assert names()["logistics.late"] != "Slow parcel"
    clock[0] += reference.FRESH_SECONDS + 1
    assert names()["logistics.late"] == "Slow parcel"


def test_rows_are_read_only_and_hold_no_password(app, session, loaded_taxonomy):
    factories.make_user(session, role="manager")
    owner = reference.owners(session, None)[0]
    assert not hasattr(owner, "password_hash")
    try:
        owner.name = "someone else"
    except AttributeError:
        pass
    else:
        raise AssertionError("a shared row could be changed")


def test_the_ticket_list_shows_a_renamed_category_at_once(client, login, session):
    login("manager")
    factories.make_ticket(session, category="logistics.late")
    assert client.get("/tickets").status_code == 200
    category = session.execute(sa.select(Category).where(Category.key == "logistics.late")).scalar_one()
    category.name_en = "Parcel came late"
    session.commit()
    assert "Parcel came late" in client.get("/tickets").get_data(as_text=True)


def test_a_ticket_names_an_owner_another_process_added_after_the_copy_was_read(app, session, loaded_taxonomy):
    from feedback import ticket_lists

    ticket = factories.make_ticket(session)
    assert ticket_lists.ticket_detail(session, ticket.id).people == {}  # the copy of everyone is read now
    with session.get_bind().begin() as conn:  # another process adds someone and gives them the ticket
        new_id = conn.execute(sa.insert(User).values(email="new@example.com", name="Newcomer", role="agent")
                              .returning(User.id)).scalar_one()
        conn.execute(sa.text("UPDATE ticket SET owner_id = :u WHERE id = :t"), {"u": new_id, "t": ticket.id})
    with db.session_scope(session.get_bind()) as fresh:  # a new request's session (this one holds the old ticket)
        assert ticket_lists.ticket_detail(fresh, ticket.id).people[new_id].name == "Newcomer"


def test_a_saved_playbook_shows_on_the_ticket_page_at_once(client, login, session):
    from feedback import playbooks

    manager = login("manager")
    ticket = factories.make_ticket(session, category="logistics.late")
    assert "Call the carrier first" not in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    playbooks.save(session, "logistics.late", "Call the carrier first.", "", by=manager, now=clock.now())
    assert "Call the carrier first" in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
