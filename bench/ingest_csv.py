"""Review-export intake speed: a 1,000,000-row CSV imported with `feedback import reviews`.

Texts are resampled from ../shared/data/text (English and Chinese reviews), ratings skewed the way
shop ratings are (mostly 5, a second hump at 1), a third of the reviews rating-only, 20 key products.
Usage: python bench/ingest_csv.py [--rows 1000000] [--database-url URL]
Prints {"rows", "seconds", "rows_per_s", "peak_rss_mb", "stored", "key_product_alerts"}.
Targets: ≥ 20,000 rows/s; peak RSS at 1M rows within 20% of the peak at 100k.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import FLAT_OUT, SHARED, emit, instance_env, run_cli  # noqa: E402
from feedback.db import make_engine  # noqa: E402

SEED = 20240611
TEXT_SETS = [  # (file, text column)
    ("cesamard-amazon-complaints/reviews_labeled.csv", "text"),
    ("chinese-nlp-corpus/online_shopping_10_cats.sample.csv", "text"),
    ("zhijiang-ecommerce-opinion-mining/reviews_labeled.csv", "text"),
]
RATINGS, RATING_WEIGHTS = [5, 4, 3, 2, 1], [62, 14, 7, 5, 12]
PRODUCTS = 2000
KEY_PRODUCTS = 20


def texts() -> list[str]:
    pool = []
    for name, column in TEXT_SETS:
        with open(SHARED / "data" / "text" / name, encoding="utf-8", newline="") as handle:
            pool += [row[column].strip() for row in csv.DictReader(handle) if row[column].strip()]
    return pool


def write_export(path: Path, rows: int) -> None:
    """A marketplace export as shops write them: one review a row, UTF-8 with a BOM."""
    rng = random.Random(SEED)
    pool = texts()
    start = datetime(2026, 8, 1)
    products = [f"SKU-{n:05d}" for n in range(PRODUCTS)]
    product_weights = [1 / (n + 1) for n in range(PRODUCTS)]  # a few products get most reviews
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review_id", "product_id", "order_id", "author", "rating", "review_text", "review_date"])
        for n in range(rows):
            if n % 100_000 == 0:
                ratings = rng.choices(RATINGS, RATING_WEIGHTS, k=100_000)
                chosen = rng.choices(products, product_weights, k=100_000)
            text = "" if rng.random() < 0.33 else rng.choice(pool)
            when = start + timedelta(seconds=rng.randrange(90 * 86400))
            writer.writerow([f"R{n:08d}", chosen[n % 100_000], f"SO-{rng.randrange(10**8):08d}", f"buyer{rng.randrange(10**6)}",
                             ratings[n % 100_000], text, when.strftime("%Y-%m-%d %H:%M:%S")])


def mark_key_products(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO product (ref, name, key_product) VALUES (:ref, '', true)"),
                     [{"ref": f"SKU-{n:05d}"} for n in range(KEY_PRODUCTS)])
    engine.dispose()


def counts(database_url: str) -> tuple[int, int]:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM feedback WHERE channel = 'review'")).scalar_one()
        alerts = conn.execute(sa.text("SELECT count(*) FROM feedback WHERE key_product_alert")).scalar_one()
    engine.dispose()
    return stored, alerts


def children_cpu() -> float:
    """User + system seconds of the finished child processes (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        export = folder / "reviews.csv"
        write_export(export, args.rows)
        env = instance_env(folder / "instance", args.database_url) | FLAT_OUT
        url = args.database_url or f"sqlite:///{folder / 'instance' / 'feedback.db'}"
        run_cli(["init"], env)
        mark_key_products(url)
        cpu = children_cpu()
        seconds, rss, _out = run_cli(["import", "reviews", str(export), "--source", "bench-shop"], env)
        cpu = children_cpu() - cpu
        stored, alerts = counts(url)
    emit("ingest_csv", {
        "rows": args.rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(args.rows / seconds),
        "peak_rss_mb": round(rss, 1),
        "cpu_seconds": round(cpu, 2),  # every process of the import: steadier than seconds on a shared machine
        "load": round(os.getloadavg()[0], 1),
        "stored": stored,
        "key_product_alerts": alerts,
        "database": "postgresql" if args.database_url else "sqlite",
    })


if __name__ == "__main__":
    main()
