#!/usr/bin/python3
"""Writes the mixed-type tables of `soma train csv`'s test (tests/models/train_csv_cli.cmake):

    /usr/bin/python3 tools/csv_fixtures.py

tests/fixtures/csv/mixed_train.csv  300 rows: an id, two categorical columns (one with empty
    fields), a numeric column with NA fields, a free-text note and the class "label", which
    depends on color and weight only.
tests/fixtures/csv/mixed_new.csv    20 rows without the label, with a color training never saw
    ("purple") and missing weights.

Plain Python (random with a fixed seed), so the files are the same on every run.
"""

import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "csv")
WORDS = ["checked", "late", "fragile", "returned", "gift", "bulk", "express", "damaged"]


def label(color, weight):
    # Red and blue items are "good" when heavy, green ones when light; without a weight the
    # color decides (the indicator column lets the model learn that).
    if weight is None:
        return "good" if color == "green" else "bad"
    heavy = weight > 50
    return "good" if (color in ("red", "blue")) == heavy else "bad"


def row(rng, i, colors, with_label):
    color = rng.choice(colors)
    weight = None if rng.random() < 0.1 else round(rng.uniform(0, 100), 2)
    fields = [str(i), color if rng.random() > 0.05 else "", rng.choice(["S", "M", "L"]),
              "NA" if weight is None else str(weight),
              f'"{rng.choice(WORDS)} {rng.choice(WORDS)}, item {i}"']
    if with_label:
        fields.append(label(color, weight) if fields[1] else label("", weight))
    return ",".join(fields)


def write(name, header, lines):
    with open(os.path.join(OUT, name), "w") as f:
        f.write(",".join(header) + "\n")
        f.write("\n".join(lines) + "\n")


def main():
    rng = random.Random(11)
    header = ["id", "color", "size", "weight", "note"]
    write("mixed_train.csv", header + ["label"],
          [row(rng, i, ["red", "green", "blue"], True) for i in range(1, 301)])
    write("mixed_new.csv", header,
          [row(rng, i, ["red", "green", "blue", "purple"], False) for i in range(301, 321)])


if __name__ == "__main__":
    main()
