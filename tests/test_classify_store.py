"""Classification against the database (SQLite and PostgreSQL): intake, triage choices, retraining, CLI."""

from __future__ import annotations

import csv
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback import classify, intake, jobs
from feedback.cli import main
from feedback.errors import Invalid
from feedback.intake import parallel
from feedback.models import Category, Department, Feedback, FeedbackEvent, JobRun, Ticket, TicketEvent
from tests import factories
from tests.classify_model import DEV, dev_rows, install_model
from tests.factories import NOW


def store(session, *bodies, **overrides) -> list[Feedback]:
    """Store texts through intake; returns their Feedback rows in order."""
    items = [factories.incoming(body=body, subject="", **overrides) for body in bodies]
    run = intake.import_items(session, items, channel="email", source="support@shop.example", now=lambda: NOW)
    return list(session.execute(sa.select(Feedback).where(Feedback.import_run_id == run.id).order_by(Feedback.id)).scalars())


def key_of(session, item: Feedback) -> str | None:
    return session.execute(sa.select(Category.key).where(Category.id == item.category_id)).scalar_one_or_none()


def test_store_classifies_by_rules_when_no_model_is_trained(session, loaded_taxonomy):
    failed, late, unclear = store(session, "My parcel never arrived.", "送餐太慢了，等了很久", "Hello there, a question.")
    assert (key_of(session, failed), failed.language, failed.classified_by) == ("logistics.failed", "en", "rule")
    assert (key_of(session, late), late.language, late.confidence) == ("logistics.late", "zh", 0.8)  # two keywords
    assert (key_of(session, unclear), unclear.confidence) == ("other", 0.0)


TEXTS = ["My parcel never arrived.", "送餐太慢了，等了很久", "Hello there, a question.", "The courier was rude to me",
         "质量太差了，用了两天就坏了", "Great shop, thank you!", "Je suis absent du bureau"]


def _stored_labels(session, source: str, *, background: bool) -> list[tuple]:
    items = [factories.incoming(body=t, subject="", source=source, external_id=f"<{n}@x>", contact=f"{n}@x.example",
                                not_a_problem="auto-reply" if n == 6 else "") for n, t in enumerate(TEXTS)]
    run = intake.start_run(session, channel="email", source=source, now=NOW)
    intake.store(session, items, run=run, now=NOW, batch_size=2, background=background)
    rows = session.execute(
        sa.select(Feedback.external_id, Feedback.category_id, Feedback.confidence, Feedback.classified_by, Feedback.language,
                  Feedback.ticket_id.is_not(None)).where(Feedback.source == source).order_by(Feedback.external_id)
    ).all()
    return [tuple(r) for r in rows]


def test_batches_classified_in_a_worker_process_match_classifying_in_place(session, loaded_taxonomy):
    in_place = _stored_labels(session, "in-place", background=False)
    in_worker = _stored_labels(session, "worker", background=True)
    assert in_worker == in_place and len(in_place) == len(TEXTS)
    assert {r[3] for r in in_place} == {"rule", None} and any(r[5] for r in in_place)


@pytest.mark.parametrize("trained", [False, True], ids=["rules", "model"])
def test_the_worker_labels_rows_as_the_labeller_does(app, session, loaded_taxonomy, trained):
    if trained:
        install_model(app.instance_path)
    labeller = classify.RowLabeller.of(session, instance_path=app.instance_path)
    rows = [{"text": t, "not_a_problem": "auto-reply" if n == 6 else ""} for n, t in enumerate(TEXTS)]
    batches = [rows, rows[::-1], rows[2:]]
    labelled = list(parallel.prepare_all(
        iter(batches), lambda batch: (os.getpid(), labeller.labels(*labeller.inputs(batch))), background=True))
    assert [labels for _pid, labels in labelled] == [labeller.labels(*labeller.inputs(b)) for b in batches]
    assert labelled[0][0] == os.getpid() and {pid for pid, _ in labelled[1:]} - {os.getpid()}  # the rest: a worker
    assert {label[3] for label in labelled[1][1] if len(label) > 1} == {"model" if trained else "rule"}


def test_store_detects_language_but_leaves_the_category_of_items_that_are_not_problems(session, loaded_taxonomy):
    (reply,) = store(session, "Je suis absent du bureau jusqu'au lundi prochain", not_a_problem="auto-reply")
    assert reply.language == "other"
    assert reply.category_id is None and reply.classified_by is None


def test_store_uses_the_trained_model_of_the_app_instance(app, session, loaded_taxonomy):
    install_model(app.instance_path)
    with app.app_context():
        (item,) = store(session, "等了两个小时才送到，饭菜都凉了，太慢了")
    assert item.classified_by == "model"
    assert key_of(session, item) == "logistics.late"


def test_low_confidence_goes_to_other_and_into_the_triage_queue(app, session, loaded_taxonomy):
    app.config["TRIAGE_CONFIDENCE"] = 0.99
    with app.app_context():
        (item,) = store(session, "My parcel never arrived.")
    assert key_of(session, item) == "other" and item.confidence == 0.7
    assert [f.id for f in classify.queue(session, threshold=0.99).items] == [item.id]


def test_a_person_choice_is_final_and_recorded_with_who_when_and_old_to_new(session, loaded_taxonomy):
    agent = factories.make_user(session, role="agent")
    late, unclear = store(session, "送餐太慢了", "Hello there")
    changed = classify.set_category(session, [late.id, unclear.id], "logistics.late", by=agent, now=NOW)
    assert changed == [unclear.id]  # the late one was already right: confirmed, not changed
    events = session.execute(sa.select(FeedbackEvent).order_by(FeedbackEvent.feedback_id)).scalars().all()
    assert [(e.feedback_id, e.field, e.old, e.new, e.by_id, e.at) for e in events] == [
        (late.id, "category", "logistics.late", "logistics.late", agent.id, NOW),
        (unclear.id, "category", "other", "logistics.late", agent.id, NOW),
    ]
    session.refresh(unclear)
    assert (unclear.classified_by, unclear.confidence, key_of(session, unclear)) == ("person", 1.0, "logistics.late")
    assert classify.queue(session, threshold=0.5).total == 0


def test_a_person_choice_needs_a_known_category_and_existing_items(session, loaded_taxonomy):
    agent = factories.make_user(session, role="agent")
    (item,) = store(session, "Hello there")
    with pytest.raises(Invalid):
        classify.set_category(session, [item.id], "no.such", by=agent, now=NOW)
    with pytest.raises(Invalid):
        classify.set_category(session, [], "praise", by=agent, now=NOW)
    with pytest.raises(classify.triage.NotFound):
        classify.set_category(session, [item.id + 1000], "praise", by=agent, now=NOW)


def test_reclassify_reruns_machine_choices_but_never_a_persons(app, session, loaded_taxonomy):
    agent = factories.make_user(session, role="agent")
    machine, person = store(session, "等了两个小时才送到，太慢了", "Hello there")
    classify.set_category(session, [person.id], "praise", by=agent, now=NOW)
    install_model(app.instance_path)
    count = classify.reclassify(session, since=NOW.date() - timedelta(days=1), instance_path=app.instance_path)
    assert count == 1
    session.refresh(machine), session.refresh(person)
    assert machine.classified_by == "model"
    assert (person.classified_by, key_of(session, person)) == ("person", "praise")


def _reword(session, key: str, keywords_en: list[str]) -> None:
    """Change a category's English keywords, as a retrain changes the classifier's mind."""
    category = session.execute(sa.select(Category).where(Category.key == key)).scalar_one()
    category.keywords_en = keywords_en
    session.commit()


def test_reclassify_moves_the_ticket_of_a_changed_category_to_its_new_department(app, session, loaded_taxonomy):
    service_head = factories.make_user(session, role="head", department="service")
    moved, kept = store(session, "My parcel never arrived.", "送餐太慢了，等了很久", contact="")
    assert (key_of(session, moved), key_of(session, kept)) == ("logistics.failed", "logistics.late")
    number, kept_events = moved.ticket_id, _events(session, kept.ticket_id)
    _reword(session, "logistics.failed", [])
    _reword(session, "service.attitude", ["parcel never arrived"])
    later = NOW + timedelta(hours=1)
    assert classify.reclassify(session, since=NOW.date(), instance_path=app.instance_path, now=later) == 2
    session.refresh(moved)
    ticket = session.get(Ticket, number)
    service = session.execute(sa.select(Department).where(Department.key == "service")).scalar_one()
    assert (moved.ticket_id, key_of(session, moved)) == (number, "service.attitude")
    assert (ticket.department_id, ticket.owner_id) == (service.id, service_head.id)
    events = session.execute(sa.select(TicketEvent).where(TicketEvent.ticket_id == number, TicketEvent.at == later)).scalars().all()
    assert ("category", "logistics.failed", "service.attitude") in {(e.field, e.old, e.new) for e in events}
    assert "department" in {e.field for e in events}
    assert _events(session, kept.ticket_id) == kept_events  # an unchanged category leaves its ticket alone


def test_reclassify_into_triage_takes_a_lone_item_off_its_ticket_and_closes_it(app, session, loaded_taxonomy):
    (item,) = store(session, "My parcel never arrived.")
    number = item.ticket_id
    _reword(session, "logistics.failed", [])
    assert classify.reclassify(session, since=NOW.date(), instance_path=app.instance_path, now=NOW) == 1
    session.refresh(item)
    assert (item.ticket_id, key_of(session, item)) == (None, "other")
    assert session.get(Ticket, number).status == "closed"
    assert item.id in [f.id for f in classify.queue(session, threshold=0.5).items]


def _events(session, ticket_id: int) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket_id)).scalar_one()


def test_training_uses_person_labelled_feedback_and_the_job_retrains_only_after_corrections(app, session, loaded_taxonomy):
    agent = factories.make_user(session, role="agent")
    items = store(session, *[f"the parcel was delayed by {n} days" for n in range(10)], *[f"送餐太慢了，等了{n}个小时" for n in range(10)])
    for first, key in ((0, "logistics.late"), (5, "service.attitude"), (10, "logistics.late"), (15, "marketing.price")):
        classify.set_category(session, [f.id for f in items[first:first + 5]], key, by=agent, now=NOW)
    retrain = jobs._retrain(app)
    later = NOW + timedelta(hours=1)
    retrain(session, now=later)
    figures = classify.model_figures(app.instance_path)
    assert (figures["version"], figures["rows"], figures["person_labelled"]) == (1, 20, 20)
    assert figures["languages"]["zh"]["labels"] == {"logistics.late": 5, "marketing.price": 5}
    retrain(session, now=later)  # the same business day: claimed already, nothing runs
    assert session.execute(sa.select(sa.func.count()).select_from(JobRun).where(JobRun.job == "retrain")).scalar_one() == 1
    assert classify.retrain_if_corrected(session, instance_path=app.instance_path, now=later) is None  # no new corrections


def _small_csv(path, rows: int = 160) -> None:
    picked = [r for i, r in enumerate(dev_rows()) if i % 4 == 0][:rows]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "label"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(picked)


def test_cli_trains_classifies_a_csv_and_evaluates(runner, app, tmp_path, loaded_taxonomy):
    labelled = tmp_path / "labelled.csv"
    _small_csv(labelled)
    result = runner.invoke(main, ["train", "--csv", str(labelled)])
    assert result.exit_code == 0, result.output
    assert "model v1: 160 rows" in result.output and "cross-validated accuracy" in result.output

    texts = tmp_path / "in.csv"
    texts.write_text("id,text\n1,送餐太慢了，等了两个小时\n2,\"The courier was rude, threw my parcel\"\n", encoding="utf-8")
    result = runner.invoke(main, ["classify", "--in", str(texts), "--out", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as handle:
        out = list(csv.DictReader(handle))
    assert [r["id"] for r in out] == ["1", "2"] and list(out[0]) == ["id", "text", "category", "confidence", "method"]
    assert out[0]["category"] == "logistics.late" and out[0]["method"] == "model"
    assert 0 < float(out[1]["confidence"]) <= 1

    result = runner.invoke(main, ["classify-eval", "--csv", str(DEV)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("accuracy 0.") and "macro-F1" in result.output
    assert "logistics.late" in result.output and "confusion (rows: true, columns: predicted)" in result.output


def test_cli_refuses_a_csv_without_the_needed_columns(runner, tmp_path, loaded_taxonomy):
    bad = tmp_path / "bad.csv"
    bad.write_text("body\nhello\n", encoding="utf-8")
    assert "needs the columns text and label" in runner.invoke(main, ["train", "--csv", str(bad)]).output
    assert "needs a text column" in runner.invoke(main, ["classify", "--in", str(bad), "--out", str(tmp_path / "o.csv")]).output


def test_cli_reclassify_counts_what_it_ran_again(runner, session, loaded_taxonomy):
    store(session, "My parcel never arrived.", "Hello there")
    result = runner.invoke(main, ["reclassify", "--since", NOW.date().isoformat()])
    assert result.exit_code == 0, result.output
    assert "2 items classified again" in result.output
