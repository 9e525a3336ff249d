"""Engine.dry_run and Report.merge against `vasrec dry-run --format json`."""

import csv
import json
import shutil
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
    # line_offset=1: the CSV's header, so rows have the file's line numbers.
    report = engine.dry_run(rows, name=str(sample), line_offset=1)
    assert report.customers == len(rows) == 5000
    got = report.to_dict()
    expected = cli_report(vasrec_bin, sample)
    # The sample fills a capacity-limited service: the allocation is in both.
    assert expected["capacity"], "the bundled package limits a service"
    assert got == expected
    assert json.dumps(got) == json.dumps(expected), "and the keys in the same order"


def test_one_thread_gives_the_same_report(engine):
    rows = rows_of(RULES / "customers.csv")[:3000]
    assert engine.dry_run(rows, threads=1).to_dict() == engine.dry_run(rows, threads=2).to_dict()


def parts_of(rows, cuts):
    """(line_offset, rows) per part, for a CSV with a header line."""
    bounds = [0, *cuts, len(rows)]
    return [(1 + a, rows[a:b]) for a, b in zip(bounds, bounds[1:])]


def test_parts_merged_equal_one_run_with_capacity(engine, vasrec_bin):
    """A job made in parts: the demand of each part, one allocation decided
    over all of them, a partial report per part (through JSON and pickle, as
    a cluster ships them), merged in another order: the one-run report."""
    import pickle

    sample = RULES / "customers.csv"
    rows = rows_of(sample)
    parts = parts_of(rows, [1700, 1701, 4100])
    assert engine.needs_capacity
    demands = [engine.demand(part, line_offset=offset) for offset, part in parts]
    allocation = engine.allocate(list(reversed(demands)))
    reports = [
        pickle.loads(pickle.dumps(
            engine.dry_run(part, name=str(sample), line_offset=offset, allocation=allocation)
        ))
        for offset, part in parts
    ]
    merged = reports[2]
    for other in (reports[0], reports[3], reports[1]):
        merged.merge(other)
    assert merged.customers == len(rows)
    expected = cli_report(vasrec_bin, sample)
    with pytest.raises(ValueError, match="give the engine"):
        merged.to_dict()
    assert merged.to_dict(engine) == expected
    assert json.dumps(merged.to_dict(engine)) == json.dumps(expected)
    again = vasrec.Report.from_json(merged.to_json())
    assert again.to_dict(vasrec.Engine.load(RULES)) == expected


def test_merge_is_refused_when_it_cannot_be_exact(engine, tmp_path):
    rows = rows_of(RULES / "customers.csv")[:50]
    a, b = engine.dry_run(rows[:25]), engine.dry_run(rows[25:])
    # Each part allocated the limited services on its own: not one run's.
    with pytest.raises(ValueError, match="capacity allocation"):
        a.merge(b)
    with pytest.raises(ValueError, match="itself"):
        a.merge(a)
    # Another load of the same package is the same package.
    same = vasrec.Engine.load(RULES)
    c = engine.dry_run(rows[:25], ignore_capacity=True)
    c.merge(same.dry_run(rows[25:], ignore_capacity=True, line_offset=25))
    assert c.customers == 50
    # Another package is not.
    changed = tmp_path / "changed"
    shutil.copytree(RULES, changed)
    with open(changed / "rules.vas", "a", encoding="utf-8") as f:
        f.write("\n# a comment changes the package's text\n")
    other = vasrec.Engine.load(changed)
    with pytest.raises(ValueError, match="package"):
        c.merge(other.dry_run(rows, ignore_capacity=True))
    with pytest.raises(ValueError, match="package"):
        c.to_dict(other)
    with pytest.raises(ValueError):
        vasrec.Report.from_json('{"kind": "vasrec.partial_demand"}')
    with pytest.raises(ValueError, match="no demand"):
        engine.allocate([])
    with pytest.raises(ValueError):
        engine.dry_run(rows, allocation=other.allocate([other.demand(rows)]))


def test_bad_rows_fail_or_are_counted(engine):
    rows = rows_of(RULES / "customers.csv")[:10]
    rows[3] = dict(rows[3], Contract="Forever")
    with pytest.raises(vasrec.CustomerError, match=r"rows:4.*Forever"):
        engine.dry_run(rows)
    report = engine.dry_run(rows, on_error="skip", ignore_capacity=True)
    assert report.customers == 10
    totals = report.to_dict()["totals"]
    assert totals["customers"] == 10
    assert report.to_dict()["errors"] != []
    with pytest.raises(ValueError, match="on_error"):
        engine.dry_run(rows, on_error="maybe")
    with pytest.raises(ValueError, match="threads"):
        engine.dry_run(rows, threads=0)
    with pytest.raises(TypeError):
        engine.dry_run(rows + ["not a dict"])
    with pytest.raises(TypeError):
        engine.dry_run(42)
