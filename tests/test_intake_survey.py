"""Survey exports: CSAT and NPS stored on the feedback, free-text answers as its text."""

import json

import sqlalchemy as sa

from feedback.cli import main
from feedback.models import Feedback, Quarantine


def import_survey(runner, path, *args):
    result = runner.invoke(main, ["import", "survey", str(path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_scores_and_comment_are_stored(runner, session, tmp_path):
    export = tmp_path / "nov.csv"
    export.write_text("Response ID,Submitted,Satisfaction,Recommend,Comment\n"
                      "901,2026-11-20 18:05,2,3,The courier threw the box over the fence\n"
                      "902,2026-11-20 19:10,5,10,\n", encoding="utf-8")
    result = import_survey(runner, export, "--source", "post-delivery")
    assert "2 new, 0 duplicate, 0 quarantined" in result.output
    rows = session.execute(sa.select(Feedback.external_id, Feedback.csat, Feedback.nps, Feedback.body, Feedback.not_a_problem)
                           .order_by(Feedback.external_id)).all()
    assert rows == [("901", 2, 3, "The courier threw the box over the fence", ""), ("902", 5, 10, "", "scores without text")]
    assert set(session.exec(sa.select(Feedback.channel)).scalars()) == {"survey"}


def test_several_free_text_answers_are_joined_by_the_mapping(runner, session, tmp_path):
    export = tmp_path / "q.csv"
    export.write_text("id,nps,What did you like?,What should we improve?\n1,6,Prices,Delivery took a week\n", encoding="utf-8")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"columns": {"text": ["What did you like?", "What should we improve?"]}}))
    import_survey(runner, export, "--mapping", str(mapping))
    assert session.exec(sa.select(Feedback.body)).scalar_one() == "Prices\nDelivery took a week"


def test_a_low_satisfaction_without_text_stays_a_problem(runner, session, tmp_path):
    export = tmp_path / "s.csv"
    export.write_text("id,csat\n1,1\n2,4\n", encoding="utf-8")
    import_survey(runner, export)
    kept_out = dict(session.execute(sa.select(Feedback.external_id, Feedback.not_a_problem)).all())
    assert kept_out == {"1": "", "2": "scores without text"}


def test_scores_out_of_range_and_empty_rows_are_quarantined(runner, session, tmp_path):
    export = tmp_path / "bad.csv"
    export.write_text("id,csat,nps,comment\n1,6,,too high\n2,,11,too high\n3,,,\n4,3,7,fine\n", encoding="utf-8")
    result = import_survey(runner, export)
    assert "1 new, 0 duplicate, 3 quarantined" in result.output
    reasons = dict(session.execute(sa.select(Quarantine.locator, Quarantine.reason)).all())
    assert reasons == {
        "bad.csv:row 2": "csat '6' is not a whole number from 1 to 5",
        "bad.csv:row 3": "nps '11' is not a whole number from 0 to 10",
        "bad.csv:row 4": "no answer text and no score",
    }
