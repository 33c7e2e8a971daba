"""Review exports: `feedback import reviews` over CSV and JSON, encodings, mappings, quarantine, key products."""

import json

import sqlalchemy as sa

from feedback import clock, products
from feedback.cli import main
from feedback.models import ColumnMapping, Feedback, ImportRun, Product, Quarantine
from tests.factories import NOW

HEADER = "review_id,rating,review_text,product_id,order_id,author,review_date\n"


def count(session, model, *where) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def import_reviews(runner, path, *args):
    result = runner.invoke(main, ["import", "reviews", str(path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_rows_become_review_feedback_with_their_fields(runner, session, tmp_path):
    export = write(tmp_path, "shop.csv", (HEADER + 'R1,2,"Lid cracked,\nleaks everywhere",SKU-1,SO-1,Ann,2026-11-20 09:30\n').encode())
    result = import_reviews(runner, export, "--source", "tmall")
    assert "1 new, 0 duplicate, 0 quarantined" in result.output
    stored = session.exec(sa.select(Feedback)).scalar_one()
    assert (stored.channel, stored.source, stored.external_id) == ("review", "tmall", "R1")
    assert (stored.rating, stored.product_ref, stored.order_ref, stored.customer) == (2, "SKU-1", "SO-1", "Ann")
    assert stored.body == "Lid cracked,\nleaks everywhere"
    assert clock.local(stored.received_at).strftime("%Y-%m-%d %H:%M") == "2026-11-20 09:30"  # naive = business time
    assert stored.raw == b'R1,2,"Lid cracked,\nleaks everywhere",SKU-1,SO-1,Ann,2026-11-20 09:30\n'


def test_bad_rows_are_quarantined_with_row_and_reason_and_the_rest_is_stored(runner, session, tmp_path):
    rows = [
        "R1,5,Great kettle,SKU-1,,,2026-11-20",
        "R2,,,SKU-1,,,2026-11-20",  # no text, no rating
        "R3,4,Fine,SKU-1,,,next tuesday",  # unparseable date
        "R4,7,Odd,SKU-1,,,2026-11-20",  # rating out of range
        "R5,1,Broke in a day,SKU-2,,,2026-11-21",
    ]
    export = write(tmp_path, "bad.csv", (HEADER + "\n".join(rows) + "\n").encode())
    result = import_reviews(runner, export)
    assert "2 new, 0 duplicate, 3 quarantined" in result.output
    held = dict(session.execute(sa.select(Quarantine.locator, Quarantine.reason)).all())
    assert held == {
        "bad.csv:row 3": "no text and no rating",
        "bad.csv:row 4": "unparseable date 'next tuesday'",
        "bad.csv:row 5": "rating '7' is not a whole number from 1 to 5",
    }
    assert session.exec(sa.select(Quarantine.raw).where(Quarantine.locator == "bad.csv:row 4")).scalar_one() == (rows[2] + "\n").encode()


def test_reimporting_a_file_stores_nothing_twice_with_or_without_an_id_column(runner, session, tmp_path):
    with_ids = write(tmp_path, "ids.csv", (HEADER + "R1,3,ok,SKU-1,,,2026-11-20\nR2,,,,,,\n").encode())
    without = write(tmp_path, "plain.csv", "rating,review\n1,awful\n2,bad\n".encode())
    for export in (with_ids, without):
        import_reviews(runner, export)
        again = import_reviews(runner, export)
        assert "0 new" in again.output and "0 quarantined" in again.output
    assert count(session, Feedback) == 3
    assert count(session, Quarantine) == 1


def test_utf8_bom_and_gb18030_exports_are_decoded_and_a_foreign_row_is_quarantined(runner, session, tmp_path):
    header = "评价编号,评分,评价内容,商品\n"
    bom = write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + (header + "1,1,快递太慢了,P1\n").encode())
    gb = (header + "2,2,杯子碎了，包装太差,P1\n").encode("gb18030") + "3,1,坏了\n".encode() + "4,5,很好\n".encode("gb18030")
    gb_file = write(tmp_path, "gb.csv", gb)
    import_reviews(runner, bom, "--source", "shop")
    result = import_reviews(runner, gb_file, "--source", "shop")
    assert "2 new, 0 duplicate, 1 quarantined" in result.output
    bodies = set(session.exec(sa.select(Feedback.body)).scalars())
    assert bodies == {"快递太慢了", "杯子碎了，包装太差", "很好"}
    reason = session.exec(sa.select(Quarantine.reason)).scalar_one()
    assert reason == "wrong encoding: UTF-8 in a GB18030 file"


def test_a_gbk_row_in_a_utf8_file_is_quarantined(runner, session, tmp_path):
    data = "rating,review\n1,收到就坏了\n".encode() + "2,质量差\n".encode("gbk") + "5,挺好\n".encode()
    result = import_reviews(runner, write(tmp_path, "mixed.csv", data))
    assert "2 new, 0 duplicate, 1 quarantined" in result.output
    held = session.exec(sa.select(Quarantine)).scalar_one()
    assert (held.locator, held.reason) == ("mixed.csv:row 3", "wrong encoding: not utf-8")
    assert held.raw == "2,质量差\n".encode("gbk")


def test_json_exports_array_lines_and_wrapped(runner, session, tmp_path):
    items = [{"id": f"J{n}", "stars": n % 5 + 1, "content": f"review {n}", "sku": "P9", "buyer": {"nick": "lin"}} for n in range(50)]
    write(tmp_path, "array.json", json.dumps(items, ensure_ascii=False, indent=2).encode())
    write(tmp_path, "lines.jsonl", "\n".join(json.dumps(i) for i in items[:5]).encode() + b"\n{broken\n")
    write(tmp_path, "wrapped.json", json.dumps({"total": 2, "reviews": items[48:]}).encode())
    mapping = write(tmp_path, "map.json", json.dumps({"columns": {"customer": "buyer.nick"}}).encode())
    first = import_reviews(runner, tmp_path / "array.json", "--source", "jd", "--mapping", str(mapping))
    assert "50 new" in first.output
    lines = import_reviews(runner, tmp_path / "lines.jsonl", "--source", "jd")
    assert "0 new, 5 duplicate, 1 quarantined" in lines.output
    wrapped = import_reviews(runner, tmp_path / "wrapped.json", "--source", "jd")
    assert "0 new, 2 duplicate" in wrapped.output
    stored = session.exec(sa.select(Feedback).where(Feedback.external_id == "J7")).scalar_one()
    assert (stored.rating, stored.body, stored.product_ref, stored.customer) == (3, "review 7", "P9", "lin")
    assert json.loads(stored.raw) == items[7]
    assert session.exec(sa.select(Quarantine.locator)).scalar_one() == "lines.jsonl:line 6"


def test_a_mapping_file_is_saved_for_the_source_and_reused(runner, session, tmp_path):
    mapping = write(tmp_path, "map.toml", b'delimiter = ";"\n[columns]\ntext = "Kommentar"\nrating = "Sterne"\nid = "Nr"\n')
    export = write(tmp_path, "export.csv", "Nr;Sterne;Kommentar\n1;2;zu spät geliefert\n".encode())
    import_reviews(runner, export, "--source", "otto", "--mapping", str(mapping))
    saved = session.exec(sa.select(ColumnMapping)).scalar_one()
    assert (saved.channel, saved.source, saved.mapping["columns"]["rating"]) == ("review", "otto", ["Sterne"])
    later = write(tmp_path, "later.csv", "Nr;Sterne;Kommentar\n2;1;kaputt\n".encode())
    result = import_reviews(runner, later, "--source", "otto")
    assert "1 new" in result.output
    assert set(session.exec(sa.select(Feedback.rating)).scalars()) == {1, 2}


def test_a_low_rating_without_text_is_a_problem_and_a_high_one_is_not(runner, session, tmp_path):
    import_reviews(runner, write(tmp_path, "r.csv", b"review_id,rating,review\n1,1,\n2,5,\n3,3,\n"))
    kept_out = dict(session.execute(sa.select(Feedback.external_id, Feedback.not_a_problem)).all())
    assert kept_out == {"1": "", "2": "rating 5 without text", "3": "rating 3 without text"}


def test_bad_reviews_of_key_products_are_flagged(runner, session, tmp_path):
    products.add_product(session, ref="KEY-1", name="Rice cooker", key_product=True, now=NOW)
    rows = "1,1,burnt smell,KEY-1\n2,2,,KEY-1\n3,4,nice,KEY-1\n4,1,broken,OTHER\n"
    import_reviews(runner, write(tmp_path, "k.csv", b"review_id,rating,review,product\n" + rows.encode()))
    flagged = set(session.exec(sa.select(Feedback.external_id).where(Feedback.key_product_alert)).scalars())
    assert flagged == {"1", "2"}
    assert set(session.exec(sa.select(Product.ref)).scalars()) == {"KEY-1", "OTHER"}  # named products are noted


def test_a_problem_category_makes_a_key_product_review_bad():
    assert products.is_bad_review(4, "product.quality")
    assert not products.is_bad_review(4, "praise") and not products.is_bad_review(3, None)
    assert products.is_bad_review(2, "praise")


def test_the_import_run_counts_every_row(runner, session, tmp_path):
    rows = "".join(f"R{n},{n % 5 + 1},text {n},SKU-{n % 7},,,2026-11-2{n % 3}\n" for n in range(1200))
    import_reviews(runner, write(tmp_path, "big.csv", (HEADER + rows).encode()))
    run = session.exec(sa.select(ImportRun)).scalar_one()
    assert (run.new_count, run.duplicate_count, run.quarantined_count, run.errors) == (1200, 0, 0, "")
    assert run.channel == "review" and run.source == "big"
