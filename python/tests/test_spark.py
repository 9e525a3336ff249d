"""examples/spark/score_job.py in Spark local mode, on the bundled sample
as a Parquet table split into several partitions: the merged report is
`vasrec dry-run --format json`'s and the score records are `vasrec score`'s.

Skips, saying why, only without Java or pyspark."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, RULES

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install pyspark)")
pa = pytest.importorskip("pyarrow")
import pyarrow.csv  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java runtime for Spark (apt-get install openjdk-17-jre-headless)",
                allow_module_level=True)

SAMPLE = RULES / "customers.csv"


def normalised(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def test_spark_job_equals_the_command_line(tmp_path, vasrec_bin):
    # The sample as Parquet, every column text (as the CSV reads), in row
    # groups small enough that Spark splits the file into several partitions.
    names = pa.csv.read_csv(SAMPLE).column_names
    table = pa.csv.read_csv(
        SAMPLE,
        convert_options=pa.csv.ConvertOptions(column_types={n: pa.string() for n in names}),
    )
    parquet = tmp_path / "customers.parquet"
    pq.write_table(table, parquet, row_group_size=700)
    report_path, scores_path = tmp_path / "report.json", tmp_path / "scores"

    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    ran = subprocess.run(
        [sys.executable, str(REPO / "examples" / "spark" / "score_job.py"),
         "--master", "local[2]", "--rules", str(RULES), "--customers", str(parquet),
         "--name", str(SAMPLE), "--header-lines", "1",
         "--report", str(report_path), "--scores", str(scores_path),
         "--conf", f"spark.sql.files.maxPartitionBytes={parquet.stat().st_size // 5}",
         "--conf", "spark.sql.files.openCostInBytes=0",
         "--conf", "spark.ui.enabled=false"],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert ran.returncode == 0, ran.stderr[-5000:]

    # Several partitions did the work (one partial report each).
    scores = pq.read_table(scores_path).sort_by("line")
    assert len(list(scores_path.glob("*.parquet"))) >= 3, list(scores_path.iterdir())

    shown = subprocess.run(
        [vasrec_bin, "dry-run", str(RULES), "--customers", str(SAMPLE), "--format", "json"],
        capture_output=True, text=True, check=True,
    )
    expected = json.loads(shown.stdout)
    got = json.loads(report_path.read_text(encoding="utf-8"))
    assert expected["capacity"], "the sample exercises the capacity pass"
    assert normalised(got) == normalised(expected)

    scored = subprocess.run(
        [vasrec_bin, "score", str(RULES), "--customers", str(SAMPLE)],
        capture_output=True, text=True, check=True,
    )
    assert scores.column("record").to_pylist() == scored.stdout.splitlines()
    assert scores.column("line").to_pylist() == list(range(2, 2 + table.num_rows))
