"""Engine.dry_run and Report.merge against `vasrec dry-run --format json`."""

import csv
import json
import subprocess

import pytest

import vasrec
from conftest import RULES


def rows_of(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def cli_report(vasrec_bin, customers, *extra):
    shown = subprocess.run(
        [vasrec_bin, "dry-run", str(RULES), "--customers", str(customers), "--format", "json",
         *extra],
        capture_output=True, text=True, check=True,
    )
    return json.loads(shown.stdout)


def test_dry_run_equals_the_command_line_with_capacity(engine, vasrec_bin):
    sample = RULES / "customers.csv"
    rows = rows_of(sample)
    report = engine.dry_run(rows, name=str(sample))
    assert report.customers == len(rows) == 5000
    assert report.errors == 0
    got = report.to_dict()
    expected = cli_report(vasrec_bin, sample)
    # The sample fills a capacity-limited service: the allocation is in both.
    assert expected["capacity"], "the bundled package limits a service"
    assert got == expected
    assert json.dumps(got) == json.dumps(expected), "and the keys in the same order"


def test_one_thread_gives_the_same_report(engine):
    rows = rows_of(RULES / "customers.csv")[:3000]
    assert engine.dry_run(rows, threads=1).to_dict() == engine.dry_run(rows, threads=2).to_dict()


def test_merged_parts_equal_one_run(engine, vasrec_bin):
    sample = RULES / "customers.csv"
    rows = rows_of(sample)
    parts = [rows[:1700], rows[1700:1701], rows[1701:4100], rows[4100:]]
    reports = [engine.dry_run(p, name=str(sample), ignore_capacity=True) for p in parts]
    merged = reports[0]
    for other in reports[1:]:
        merged.merge(other)
    assert merged.customers == len(rows)
    got = merged.to_dict()
    expected = cli_report(vasrec_bin, sample, "--ignore-capacity")
    # Parts number their rows from 1 each; only whole-run line numbers differ.
    assert got["totals"] == expected["totals"]
    assert got["segments"] == expected["segments"]
    assert got["services"] == expected["services"]
    assert got["rules"] == expected["rules"]
    assert got == expected


def test_merge_is_refused_when_it_cannot_be_exact(engine, tmp_path):
    rows = rows_of(RULES / "customers.csv")[:50]
    a, b = engine.dry_run(rows[:25]), engine.dry_run(rows[25:])
    with pytest.raises(ValueError, match="capacity"):
        a.merge(b)
    with pytest.raises(ValueError, match="itself"):
        a.merge(a)
    other = vasrec.Engine.load(RULES)
    with pytest.raises(ValueError, match="different engines"):
        engine.dry_run(rows, ignore_capacity=True).merge(other.dry_run(rows, ignore_capacity=True))


def test_bad_rows_fail_or_are_counted(engine):
    rows = rows_of(RULES / "customers.csv")[:10]
    rows[3] = dict(rows[3], Contract="Forever")
    with pytest.raises(vasrec.CustomerError, match=r"rows:4.*Forever"):
        engine.dry_run(rows)
    report = engine.dry_run(rows, on_error="skip", ignore_capacity=True)
    assert (report.customers, report.errors) == (10, 1)
    assert report.to_dict()["totals"]["customers"] == 10
    with pytest.raises(ValueError, match="on_error"):
        engine.dry_run(rows, on_error="maybe")
    with pytest.raises(TypeError):
        engine.dry_run(rows + ["not a dict"])
    with pytest.raises(TypeError):
        engine.dry_run(42)
