"""Commands that train, run and evaluate the classifier."""

from __future__ import annotations


import click
from flask import current_app

from feedback import clock, db
from feedback.errors import ServiceError

from feedback.cli import fail, main


# --- classification -----------------------------------------------------------------------------


@main.command("train")
@click.option("--csv", "csv_path", type=click.Path(exists=True, dir_okay=False), help="extra labelled rows: columns text,label")
def train(csv_path: str | None) -> None:
    """Train the classifier from person-labelled feedback (plus a labelled CSV); stored in instance/."""
    from feedback import classify

    with db.session_scope() as session:
        try:
            extra = classify.read_labelled_csv(csv_path) if csv_path else []
            figures = classify.train(session, instance_path=current_app.instance_path, extra=extra, now=clock.now())
        except ServiceError as exc:
            fail(exc)
    click.echo(f"model v{figures['version']}: {figures['rows']} rows in {figures['seconds']} s")
    for language, f in figures["languages"].items():
        click.echo(f"  {language}: {f['rows']} rows, cross-validated accuracy {f.get('cv_accuracy', 0):.3f}, "
                   f"macro-F1 {f.get('cv_macro_f1', 0):.3f}")


@main.command("classify")
@click.option("--in", "source", required=True, type=click.Path(exists=True, dir_okay=False), help="CSV with a text column")
@click.option("--out", "target", required=True, type=click.Path(dir_okay=False), help="the same rows plus category,confidence,method")
def classify_file(source: str, target: str) -> None:
    """Classify every text of a CSV file (no triage routing: the best category and its confidence)."""
    from feedback.classify import classifier, files

    with db.session_scope() as session:
        try:
            count = files.classify_csv(classifier(session, current_app.instance_path), source, target)
        except ServiceError as exc:
            fail(exc)
    click.echo(f"{count} rows classified into {target}")


@main.command("classify-eval")
@click.option("--csv", "csv_path", required=True, type=click.Path(exists=True, dir_okay=False), help="CSV with text,label")
def classify_eval(csv_path: str) -> None:
    """Score the current classifier on a labelled CSV: accuracy, macro-F1, per label, confusion."""
    from feedback.classify import classifier, files

    with db.session_scope() as session:
        try:
            scores = files.evaluate_csv(classifier(session, current_app.instance_path), csv_path)
        except ServiceError as exc:
            fail(exc)
    click.echo(files.report(scores))


@main.command("reclassify")
@click.option("--since", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="first business day, YYYY-MM-DD")
def reclassify(since) -> None:
    """Classify again the feedback from a day on that no person has set (after a retrain)."""
    from feedback import classify

    with db.session_scope() as session:
        try:
            count = classify.reclassify(session, since=since.date(), instance_path=current_app.instance_path,
                                        threshold=current_app.config["TRIAGE_CONFIDENCE"])
        except ServiceError as exc:
            fail(exc)
    click.echo(f"{count} items classified again")
