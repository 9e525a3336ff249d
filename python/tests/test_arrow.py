"""Arrow and pandas in: evaluate_arrow, score_pandas, and dry_run/score over
Arrow tables, against the command line's records and report."""

import json
import subprocess

import pytest

import vasrec
from conftest import RULES

pa = pytest.importorskip("pyarrow")
import pyarrow.csv  # noqa: E402

SAMPLE = RULES / "customers.csv"


def sample_table(typed=False):
    names = pa.csv.read_csv(SAMPLE).column_names
    if typed:
        # Numbers as numbers, the rest as text.
        types = {n: pa.string() for n in names}
        types.update(tenure=pa.int64(), MonthlyCharges=pa.float64())
    else:
        types = {n: pa.string() for n in names}
    return pa.csv.read_csv(SAMPLE, convert_options=pa.csv.ConvertOptions(column_types=types))


@pytest.fixture(scope="module")
def cli_records(vasrec_bin):
    scored = subprocess.run(
        [vasrec_bin, "score", str(RULES), "--ignore-capacity"],
        capture_output=True, text=True, check=True,
    )
    return [json.loads(line) for line in scored.stdout.splitlines()]


def rounded(value):
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, list):
        return [rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return value


def as_json_records(table):
    """Arrow score records in the JSON records' terms (line of a CSV row)."""
    out = []
    for row in table.to_pylist():
        offers = []
        for offer in row["offers"]:
            offers.append({k: v for k, v in offer.items()})
        out.append({"customer_id": row["customer_id"], "line": row["line"] + 1, "offers": offers})
    return out


def test_evaluate_arrow_gives_the_score_records(engine, cli_records):
    table = sample_table()
    assert table.column("tenure").num_chunks >= 1
    chunked = pa.concat_tables([table.slice(0, 1234), table.slice(1234)])
    assert chunked.column("tenure").num_chunks == 2
    scored = engine.evaluate_arrow(chunked)
    assert isinstance(scored, pa.Table)
    assert scored.column_names == ["customer_id", "line", "offers"]
    assert scored.column("line").to_pylist() == list(range(1, table.num_rows + 1))
    expected = [{k: r[k] for k in ("customer_id", "line", "offers")} for r in cli_records]
    # JSON writes numbers without binary noise (2.50274457372403 for
    # 2.502744573724025); Arrow keeps the f64.
    assert rounded(as_json_records(scored)) == rounded(expected)
    assert sum(len(r["offers"]) for r in expected) > 1000


def test_a_record_batch_gives_a_record_batch_and_types_read_as_text_do(engine):
    batch = sample_table(typed=True).to_batches()[0].slice(0, 300)
    scored = engine.evaluate_arrow(batch)
    assert isinstance(scored, pa.RecordBatch)
    text = engine.evaluate_arrow(sample_table().to_batches()[0].slice(0, 300))
    assert scored.to_pylist() == text.to_pylist()
    # The first rows as dicts, through evaluate, give the same offers.
    first = engine.evaluate(sample_table().slice(0, 1).to_pylist()[0])
    assert [o["service"] for o in first["offers"]] == [
        o["service"] for o in scored.to_pylist()[0]["offers"]
    ]


def test_wrong_arrow_type_and_bad_values(engine):
    table = sample_table().slice(0, 10)
    wrong = table.set_column(
        table.column_names.index("tenure"), "tenure",
        pa.array([[1]] * 10, pa.list_(pa.int64())),
    )
    with pytest.raises(vasrec.CustomerError, match="tenure"):
        engine.evaluate_arrow(wrong)
    bad = table.set_column(
        table.column_names.index("Contract"), "Contract", pa.array(["Forever"] * 10)
    )
    with pytest.raises(vasrec.CustomerError, match="Forever"):
        engine.evaluate_arrow(bad)
    with pytest.raises(TypeError, match="expected Arrow data"):
        engine.evaluate_arrow([{"tenure": 3}])


def test_score_pandas(engine, cli_records):
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).head(200)
    scored = engine.score_pandas(frame)
    assert isinstance(scored, pd.DataFrame)
    assert list(scored.columns) == ["customer_id", "line", "offers"]
    assert len(scored) == 200
    assert list(scored["customer_id"]) == [r["customer_id"] for r in cli_records[:200]]
    services = [[o["service"] for o in offers] for offers in scored["offers"]]
    assert services == [[o["service"] for o in r["offers"]] for r in cli_records[:200]]
    # Numbers and NaN as pandas holds them.
    typed = pd.read_csv(SAMPLE).head(200)
    assert [[o["service"] for o in offers] for offers in engine.score_pandas(typed)["offers"]] \
        == services


def test_dry_run_and_score_take_arrow_tables(engine, vasrec_bin):
    table = sample_table()
    shown = subprocess.run(
        [vasrec_bin, "dry-run", str(RULES), "--customers", str(SAMPLE), "--format", "json"],
        capture_output=True, text=True, check=True,
    )
    got = engine.dry_run(table, name=str(SAMPLE), line_offset=1).to_dict()
    assert got == json.loads(shown.stdout)
    scored = subprocess.run(
        [vasrec_bin, "score", str(RULES)], capture_output=True, text=True, check=True
    )
    lines = engine.score(table, line_offset=1, output="jsonl")
    assert lines == scored.stdout.splitlines()
