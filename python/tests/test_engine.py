"""The Python API against the command line: the same package, the same
customers, the same answers."""

import csv
import json
import shutil
import subprocess
import threading

import pytest

import vasrec
from conftest import REPO, RULES

CUSTOMER = {
    "customerID": "C-2",
    "tenure": 3,
    "MonthlyCharges": 70.35,
    "InternetService": "Fiber optic",
    "Contract": "Month-to-month",
}


def sample_rows(count):
    with open(RULES / "customers.csv", newline="", encoding="utf-8") as f:
        return [row for _, row in zip(range(count), csv.DictReader(f))]


def test_load_and_describe(engine):
    assert engine.package == "telecom-vas"
    assert str(engine.path) == str(RULES)
    assert "telecom-vas" in repr(engine)
    assert isinstance(vasrec.__version__, str)


def test_missing_folder_raises_package_error(tmp_path):
    with pytest.raises(vasrec.PackageError) as caught:
        vasrec.Engine.load(tmp_path / "no-such-folder")
    error = caught.value
    assert "is not a folder" in str(error)
    assert [d.code for d in error.diagnostics] == ["READ_ERROR"]
    assert error.diagnostics[0].severity == "error"
    assert error.rendered.startswith("error[READ_ERROR]")


def broken_package(tmp_path):
    package = tmp_path / "broken"
    shutil.copytree(RULES, package)
    segments = (package / "segments.vas").read_text(encoding="utf-8")
    assert "tenure_months < 6" in segments
    (package / "segments.vas").write_text(
        segments.replace("tenure_months < 6", "tenure_monts < 6", 1), encoding="utf-8"
    )
    line = next(
        i + 1 for i, text in enumerate(segments.splitlines()) if "tenure_months < 6" in text
    )
    column = segments.splitlines()[line - 1].index("tenure_months < 6") + 1
    return package, line, column


def test_broken_package_carries_every_diagnostic(tmp_path, vasrec_bin):
    package, line, column = broken_package(tmp_path)
    with pytest.raises(vasrec.PackageError) as caught:
        vasrec.Engine.load(package)
    error = caught.value
    unknown = [d for d in error.diagnostics if d.code == "UNKNOWN_ATTRIBUTE"]
    assert len(unknown) == 1
    d = unknown[0]
    assert (d.file, d.line, d.column) == ("segments.vas", line, column)
    assert d.severity == "error"
    assert "tenure_monts" in d.message
    assert "tenure_months" in d.help  # did you mean
    assert f"segments.vas:{line}:{column}" in d.rendered
    assert f"segments.vas:{line}:{column}" in str(error)
    assert d.to_dict()["code"] == "UNKNOWN_ATTRIBUTE"
    # The same diagnostics as `vasrec check --format json`.
    checked = subprocess.run(
        [vasrec_bin, "check", str(package), "--format", "json"],
        capture_output=True, text=True,
    )
    assert checked.returncode == 1, checked.stderr
    expected = [
        (j["code"], j["severity"], j["file"], j["line"], j["column"], j["message"], j["help"])
        for j in json.loads(checked.stdout)
    ]
    got = [
        (d.code, d.severity, d.file, d.line, d.column, d.message, d.help)
        for d in error.diagnostics
    ]
    assert got == expected


def test_check_gives_the_warnings_as_objects(tmp_path):
    package = tmp_path / "warned"
    shutil.copytree(RULES, package)
    (package / "extra.vas").write_text(
        'segment lonely under everyone { when tenure_months > 1000 }\n', encoding="utf-8"
    )
    warnings = vasrec.Engine.load(package).check()
    assert warnings, "an unused segment is a warning"
    assert all(isinstance(w, vasrec.Diagnostic) for w in warnings)
    assert all(w.severity == "warning" for w in warnings)
    assert any(w.file == "extra.vas" and w.line == 1 for w in warnings)
    assert vasrec.Engine.load(RULES).check() == []


def test_evaluate_gives_the_score_record(engine, vasrec_bin, tmp_path):
    rows = sample_rows(40)
    few = tmp_path / "few.csv"
    with open(few, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
    scored = subprocess.run(
        [vasrec_bin, "score", str(RULES), "--customers", str(few), "--ignore-capacity"],
        capture_output=True, text=True, check=True,
    )
    expected = [json.loads(line) for line in scored.stdout.splitlines()]
    assert len(expected) == len(rows)
    for row, record in zip(rows, expected):
        del record["line"]
        assert engine.evaluate(row) == record
    # Some of them get offers, so the comparison says something.
    assert sum(len(r["offers"]) for r in expected) > 20


def test_evaluate_typed_values_and_not_given(engine):
    record = engine.evaluate(CUSTOMER)
    assert record["schema_version"] == 1
    assert record["customer_id"] == "C-2"
    assert "line" not in record
    assert record["offers"][0]["service"] == "contract_upgrade_offer"
    assert record["offers"][0]["rank"] == 1
    assert list(record["offers"][0])[:3] == ["rank", "service", "name"]
    assert "not_given" not in record
    partial = engine.evaluate({"customerID": "C-3"})
    assert partial["not_given"] == ["tenure", "MonthlyCharges"]


def test_evaluate_reads_numpy_scalars_and_nan_as_missing(engine):
    np = pytest.importorskip("numpy")
    typed = dict(CUSTOMER, tenure=np.int64(3), MonthlyCharges=np.float32(70.35))
    assert engine.evaluate(typed)["offers"][0]["service"] == "contract_upgrade_offer"
    missing = dict(CUSTOMER, TotalCharges=float("nan"))
    assert engine.evaluate(missing) == engine.evaluate(CUSTOMER)


def test_bad_customer_value(engine):
    with pytest.raises(vasrec.CustomerError) as caught:
        engine.evaluate(dict(CUSTOMER, tenure="three"))
    assert caught.value.field == "tenure_months"
    assert caught.value.column == "tenure"
    assert "expected a number, found `three`" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(vasrec.CustomerError, match="Forever"):
        engine.evaluate(dict(CUSTOMER, Contract="Forever"))
    with pytest.raises(vasrec.CustomerError):
        engine.explain(dict(CUSTOMER, tenure="three"))


def test_wrong_python_types(engine):
    with pytest.raises(TypeError, match="not list"):
        engine.evaluate(["C-1", 3])
    with pytest.raises(TypeError, match="keys are column or attribute names"):
        engine.evaluate({1: "x"})
    with pytest.raises(TypeError, match="`tenure`: cannot read a value of type object"):
        engine.evaluate(dict(CUSTOMER, tenure=object()))
    nested = []
    nested.append(nested)
    with pytest.raises(TypeError, match="nested more than"):
        engine.evaluate(dict(CUSTOMER, tags=nested))


def test_evaluation_error(tmp_path):
    package = tmp_path / "divide"
    package.mkdir()
    (package / "catalog.yaml").write_text(
        """package: divide
services:
  - { id: welcome_call, name: Welcome call, category: technical_support,
      stage: after_sale, channel: offline, participation: passive }
customer:
  attributes:
    - { name: charges, type: number }
""",
        encoding="utf-8",
    )
    (package / "rules.vas").write_text(
        """segment everyone { when true }
rule per_charge for everyone {
  offer welcome_call
  gain 10 / charges
}
""",
        encoding="utf-8",
    )
    engine = vasrec.Engine.load(package)
    assert engine.evaluate({"charges": 4})["offers"][0]["gain"] == 2.5
    with pytest.raises(vasrec.EvaluationError) as caught:
        engine.evaluate({"charges": 0})
    assert "per_charge" in caught.value.raised_by


def test_explain_matches_the_command_line(engine, vasrec_bin):
    explanation = engine.explain(CUSTOMER)
    assert explanation["customer_id"] == "C-2"
    assert [o["service"] for o in explanation["offers"]] == [
        o["service"] for o in engine.evaluate(CUSTOMER)["offers"]
    ]
    shown = subprocess.run(
        [vasrec_bin, "explain", str(RULES), "--json", json.dumps(CUSTOMER), "--format", "json"],
        capture_output=True, text=True, check=True,
    )
    assert explanation == json.loads(shown.stdout)


def test_threads_evaluate_at_once(engine):
    """The GIL is released while the engine works: threads share one engine
    and each gets the answer it would get alone."""
    rows = sample_rows(200)
    alone = [engine.evaluate(row) for row in rows]
    results = [None] * 4

    def work(k):
        results[k] = [engine.evaluate(row) for row in rows]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == alone for r in results)
