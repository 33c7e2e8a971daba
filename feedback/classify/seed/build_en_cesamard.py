"""Builds en_cesamard.csv from our annotators' labels of CESAMARD reviews.

Usage: python feedback/classify/seed/build_en_cesamard.py LABELS_FOLDER GOLD_CSV
LABELS_FOLDER holds cesamard_partN.csv (cid,text) and cesamard_partN.labels.csv (cid,label,confidence);
a part may be labelled partly. Rows with an unknown label, empty or repeated texts, and texts overlapping
GOLD_CSV (equal or substring either way) are left out.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from feedback import taxonomy  # noqa: E402
from feedback.classify.seeding import key, without_overlap  # noqa: E402

HERE = Path(__file__).resolve().parent
TARGET = HERE / "en_cesamard.csv"


def read(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def labelled(folder: Path) -> list[tuple[str, str, str]]:
    """(text, label, confidence) of every labelled row of every part, in part and row order."""
    known = {c["key"] for c in taxonomy.read(taxonomy.taxonomy_file(None))["category"]}
    rows = []
    for part in sorted(folder.glob("cesamard_part*.labels.csv")):
        texts = {r["cid"]: r["text"] for r in read(part.with_name(part.name.replace(".labels", "")))}
        for r in read(part):
            label = (r.get("label") or "").strip()
            if r.get("cid") in texts and label in known:
                rows.append((texts[r["cid"]], label, (r.get("confidence") or "").strip()))
    return rows


def main() -> None:
    folder, gold = Path(sys.argv[1]), Path(sys.argv[2])
    rows, seen, unique = labelled(folder), set(), []
    for text, label, confidence in rows:
        if key(text) and key(text) not in seen:
            seen.add(key(text))
            unique.append((text, label, confidence))
    kept_pairs = set(without_overlap([(t, label) for t, label, _ in unique], [r["text"] for r in read(gold)]))
    kept = [r for r in unique if (r[0], r[1]) in kept_pairs]
    with open(TARGET, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "confidence"])
        writer.writerows(kept)
    print(f"{len(rows)} labelled, {len(unique)} distinct, {len(kept)} kept: {dict(Counter(r[1] for r in kept))}")


if __name__ == "__main__":
    main()
