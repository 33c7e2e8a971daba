"""Playbooks: versions, who may edit, proposals from closing a ticket, the shipped defaults."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback import playbooks, tickets
from feedback.cli import main
from feedback.errors import Forbidden, Invalid
from feedback.models import Category, PlaybookProposal, PlaybookVersion, ReplyTemplate
from tests.factories import NOW, make_ticket, make_user


def test_every_save_is_a_new_version_with_author_and_date(session, loaded_taxonomy):
    head = make_user(session, role="head", department="logistics")
    first = playbooks.save(session, "logistics.late", "Call the carrier.", "联系承运商。", "first", by=head, now=NOW)
    later = NOW + timedelta(days=2)
    second = playbooks.save(session, "logistics.late", "Call the carrier.\nOffer a coupon.", "联系承运商。", by=head, now=later)
    category = playbooks.category(session, "logistics.late")
    history = playbooks.versions(session, category.id)
    assert [v.number for v in history] == [2, 1]
    assert (first.number, second.number) == (1, 2)
    assert playbooks.current(session, category.id).body_en == "Call the carrier.\nOffer a coupon."
    assert history[0].author_id == head.id and history[0].created_at == later
    assert history[1].body_en == "Call the carrier." and history[1].note == "first"
    assert ("+", "Offer a coupon.") in playbooks.diff(history[1].body_en, history[0].body_en)


def test_saving_the_same_text_again_is_refused(session, loaded_taxonomy):
    manager = make_user(session, role="manager")
    playbooks.save(session, "service.returns", "Refund quickly.", "", by=manager, now=NOW)
    with pytest.raises(Invalid):
        playbooks.save(session, "service.returns", "Refund quickly.", "", by=manager, now=NOW)
    with pytest.raises(Invalid):
        playbooks.save(session, "service.returns", "  ", "", by=manager, now=NOW)


@pytest.mark.parametrize(("role", "department", "allowed"), [
    ("head", "logistics", True), ("manager", None, True), ("admin", None, True),
    ("head", "service", False), ("agent", "logistics", False), ("viewer", None, False),
])
def test_who_may_edit_a_playbook(session, loaded_taxonomy, role, department, allowed):
    user = make_user(session, role=role, department=department)
    if allowed:
        playbooks.save(session, "logistics.courier", "Complain to the carrier.", "", by=user, now=NOW)
        assert playbooks.current(session, playbooks.category(session, "logistics.courier").id).author_id == user.id
    else:
        with pytest.raises(Forbidden):
            playbooks.save(session, "logistics.courier", "Complain to the carrier.", "", by=user, now=NOW)
        assert session.execute(sa.select(sa.func.count()).select_from(PlaybookVersion)).scalar_one() == 0


def test_closing_with_a_proposal_files_it_and_the_head_accepts_it(session, loaded_taxonomy):
    head = make_user(session, role="head", department="logistics")
    playbooks.save(session, "logistics.late", "Call the carrier.", "联系承运商。", by=head, now=NOW)
    ticket = make_ticket(session)
    closed = tickets.close_ticket(session, ticket.id, "Re-shipped by express.", by=head, now=NOW)
    playbooks.propose_on_close(session, closed, "During typhoons, re-ship from the Shenzhen warehouse.", by=head, now=NOW)
    queue = playbooks.pending(session, head)
    assert [(p.text, c.key) for p, c, _ in queue] == [("During typhoons, re-ship from the Shenzhen warehouse.", "logistics.late")]
    proposal = queue[0][0]
    assert proposal.ticket_id == ticket.id and proposal.language == "en"

    version = playbooks.accept(session, proposal.id, by=head, now=NOW + timedelta(hours=1))
    assert version.number == 2
    assert version.body_en == "Call the carrier.\n\nDuring typhoons, re-ship from the Shenzhen warehouse."
    assert version.body_zh == "联系承运商。"  # the other language is untouched
    assert tickets.number(ticket.id) in version.note
    session.refresh(proposal)
    assert (proposal.status, proposal.decided_by_id, proposal.version_id) == ("accepted", head.id, version.id)
    assert playbooks.pending(session, head) == []


def test_a_chinese_proposal_extends_the_chinese_playbook_and_can_be_edited_first(session, loaded_taxonomy):
    head = make_user(session, role="head", department="logistics")
    playbooks.save(session, "logistics.late", "Call the carrier.", "联系承运商。", by=head, now=NOW)
    ticket = make_ticket(session)
    proposal = playbooks.propose(session, ticket.id, "台风期间从深圳仓补发", by=head, now=NOW)
    assert proposal.language == "zh"
    version = playbooks.accept(session, proposal.id, "台风期间改从深圳仓加急补发。", by=head, now=NOW)
    assert version.body_zh.endswith("台风期间改从深圳仓加急补发。") and version.body_en == "Call the carrier."


def test_the_head_rejects_a_proposal_and_it_cannot_be_decided_twice(session, loaded_taxonomy):
    head = make_user(session, role="head", department="logistics")
    proposal = playbooks.propose(session, make_ticket(session).id, "Always give a coupon.", by=head, now=NOW)
    playbooks.reject(session, proposal.id, "Coupons only after 5 days late.", by=head, now=NOW)
    session.refresh(proposal)
    assert (proposal.status, proposal.reason) == ("rejected", "Coupons only after 5 days late.")
    assert session.execute(sa.select(sa.func.count()).select_from(PlaybookVersion)).scalar_one() == 0
    with pytest.raises(Invalid):
        playbooks.accept(session, proposal.id, by=head, now=NOW)


def test_only_the_categorys_head_or_a_manager_decides_proposals(session, loaded_taxonomy):
    head = make_user(session, role="head", department="logistics")
    other_head = make_user(session, role="head", department="service")
    agent = make_user(session, role="agent", department="logistics")
    proposal = playbooks.propose(session, make_ticket(session).id, "Check the depot first.", by=agent, now=NOW)
    assert playbooks.pending(session, other_head) == [] and playbooks.pending(session, agent) == []
    for user in (other_head, agent):
        with pytest.raises(Forbidden):
            playbooks.accept(session, proposal.id, by=user, now=NOW)
        with pytest.raises(Forbidden):
            playbooks.reject(session, proposal.id, "no", by=user, now=NOW)
    assert len(playbooks.pending(session, head)) == 1
    assert len(playbooks.pending(session, make_user(session, role="manager"))) == 1


def test_a_viewer_cannot_propose(session, loaded_taxonomy):
    viewer = make_user(session, role="viewer")
    with pytest.raises(Forbidden):
        playbooks.propose(session, make_ticket(session).id, "Be nice.", by=viewer, now=NOW)
    assert session.execute(sa.select(sa.func.count()).select_from(PlaybookProposal)).scalar_one() == 0


def test_shipped_defaults_load_once_and_never_over_edits(session, loaded_taxonomy):
    shipped = sorted(p.stem for p in playbooks.defaults_folder().glob("*.toml"))
    categories = sorted(session.execute(sa.select(Category.key)).scalars())
    assert shipped == categories  # one default per shipped category

    first = playbooks.load_defaults(session, now=NOW)
    assert (first.playbooks, first.templates) == (len(categories), 2 * len(categories))
    late = playbooks.category(session, "logistics.late")
    default = playbooks.current(session, late.id)
    assert default.author_id is None and default.body_en.strip() and default.body_zh.strip()
    assert "##" in default.body_en and "承运商" in default.body_zh

    manager = make_user(session, role="manager")
    playbooks.save(session, "logistics.late", "Our own way.", "我们的做法。", by=manager, now=NOW)
    again = playbooks.load_defaults(session, now=NOW)
    assert (again.playbooks, again.templates) == (0, 0)
    assert playbooks.current(session, late.id).body_en == "Our own way."
    assert session.execute(sa.select(sa.func.count()).select_from(ReplyTemplate)).scalar_one() == 2 * len(categories)


def test_listing_shows_current_version_author_and_pending_count(session, loaded_taxonomy):
    head = make_user(session, role="head", department="logistics", name="Zhang Wei")
    playbooks.save(session, "logistics.late", "v1", "", by=head, now=NOW)
    playbooks.save(session, "logistics.late", "v2", "", by=head, now=NOW)
    playbooks.propose(session, make_ticket(session).id, "More.", by=head, now=NOW)
    rows = {row.category.key: row for row in playbooks.listing(session)}
    assert (rows["logistics.late"].version.number, rows["logistics.late"].author, rows["logistics.late"].pending) == (2, "Zhang Wei", 1)
    assert rows["service.returns"].version is None and rows["service.returns"].pending == 0


def test_taxonomy_load_brings_the_default_playbooks_once(runner, session):
    first = runner.invoke(main, ["taxonomy", "load"])
    assert first.exit_code == 0, first.output
    count = session.execute(sa.select(sa.func.count()).select_from(Category)).scalar_one()
    assert f"playbooks: {count} added, reply templates: {2 * count} added" in first.output
    again = runner.invoke(main, ["taxonomy", "load"])
    assert "playbooks: 0 added, reply templates: 0 added" in again.output
    assert session.execute(sa.select(sa.func.count()).select_from(PlaybookVersion)).scalar_one() == count
