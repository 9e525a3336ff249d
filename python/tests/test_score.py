"""Engine.score against `vasrec score`: the same lines, byte for byte."""

import csv
import json
import subprocess

import pytest

import vasrec
from conftest import RULES


def sample():
    with open(RULES / "customers.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def cli_lines(vasrec_bin):
    scored = subprocess.run(
        [vasrec_bin, "score", str(RULES)], capture_output=True, text=True, check=True
    )
    return scored.stdout.splitlines()


def test_score_writes_the_command_lines_records(engine, cli_lines):
    rows = sample()
    # line_offset=1: the CSV's header line, so `line` is the file's.
    lines = engine.score(rows, line_offset=1, output="jsonl")
    assert len(lines) == len(rows) == len(cli_lines)
    assert lines == cli_lines
    dicts = engine.score(rows, line_offset=1)
    assert dicts == [json.loads(line) for line in cli_lines]


def test_score_in_parts_with_a_shared_allocation(engine, cli_lines):
    rows = sample()
    cuts = [0, 999, 2500, 2501, len(rows)]
    parts = [(1 + a, rows[a:b]) for a, b in zip(cuts, cuts[1:])]
    allocation = engine.allocate([engine.demand(p, line_offset=o) for o, p in parts])
    lines = []
    for offset, part in parts:
        lines += engine.score(part, line_offset=offset, allocation=allocation, output="jsonl")
    assert lines == cli_lines
    # Without the shared allocation, each part gives the limited service to
    # its own best customers: more of them than the capacity in total.
    alone = []
    for offset, part in parts:
        alone += engine.score(part, line_offset=offset, output="jsonl")
    assert alone != cli_lines


def test_score_errors(engine):
    rows = sample()[:5]
    rows[2] = dict(rows[2], tenure="three")
    with pytest.raises(vasrec.CustomerError, match="three"):
        engine.score(rows)
    kept = engine.score(rows, on_error="skip", ignore_capacity=True)
    assert [r["line"] for r in kept] == [1, 2, 4, 5]
    with pytest.raises(ValueError, match="output"):
        engine.score(rows, output="csv")
