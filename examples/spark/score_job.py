"""Score a customer table with vasrec on Spark, and make its dry-run report.

    spark-submit examples/spark/score_job.py --rules rules \
        --customers customers.parquet --scores scores/ --report report.json

Each executor's Python process loads the rule package once (Spark reuses its
Python workers, so the engine outlives a task). The rows go to vasrec as
Arrow batches (`mapInArrow`), a partition at a time, no row turned into
Python objects:

1. Rows per partition, so every row gets its line in the whole table (the
   report and the capacity tie-breaks name rows by line).
2. Only when the package limits a service's capacity: each partition's
   demand for the limited services; the driver merges them and decides who
   gets them (`Engine.allocate`), and that allocation goes to every task.
3. Per partition, the score records (`vasrec score`'s JSON Lines) and a
   partial dry-run report; the driver merges the partials (in any order)
   into the report one run over the whole table gives.

The partitions must keep the table's row order (file splits do; a shuffle,
`repartition`, does not): the line of a row is the count of rows in the
partitions before it plus its place in its own.
"""

import argparse
import json
import sys

import pyarrow as pa
from pyspark import TaskContext
from pyspark.sql import SparkSession

# One engine per executor Python process, per package folder.
_ENGINES = {}


def engine_for(rules):
    engine = _ENGINES.get(rules)
    if engine is None:
        import vasrec

        engine = _ENGINES[rules] = vasrec.Engine.load(rules)
    return engine


def _rows(batches):
    """(rows before this batch in the partition, the batch), for vasrec's
    columnar reader."""
    seen = 0
    for batch in batches:
        if batch.num_rows:
            yield seen, batch
            seen += batch.num_rows


def count_rows(batches):
    rows = sum(batch.num_rows for batch in batches)
    yield pa.RecordBatch.from_pydict(
        {"partition": [TaskContext.get().partitionId()], "rows": [rows]},
        schema=pa.schema([("partition", pa.int32()), ("rows", pa.int64())]),
    )


def make_demand(rules, offsets):
    def demand(batches):
        engine = engine_for(rules)
        start = offsets[TaskContext.get().partitionId()]
        for seen, rows in _rows(batches):
            text = engine.demand(rows, line_offset=start + seen, threads=1)
            yield pa.RecordBatch.from_pydict({"demand": [text]})

    return demand


def make_work(rules, offsets, allocation, name):
    """Per partition: its score records and one partial report."""

    def work(batches):
        engine = engine_for(rules)
        start = offsets[TaskContext.get().partitionId()]
        report = None
        for seen, rows in _rows(batches):
            offset = start + seen
            lines = engine.score(
                rows, line_offset=offset, allocation=allocation, threads=1, output="jsonl"
            )
            part = engine.dry_run(
                rows, name=name, line_offset=offset, allocation=allocation, threads=1
            )
            if report is None:
                report = part
            else:
                report.merge(part)
            records = [json.loads(line) for line in lines]
            yield pa.RecordBatch.from_pydict(
                {
                    "line": [r["line"] for r in records],
                    "customer_id": [r["customer_id"] for r in records],
                    "record": lines,
                    "partial": [None] * len(lines),
                },
                schema=WORK_SCHEMA,
            )
        if report is not None:
            yield pa.RecordBatch.from_pydict(
                {"line": [None], "customer_id": [None], "record": [None],
                 "partial": [report.to_json()]},
                schema=WORK_SCHEMA,
            )

    return work


WORK_SCHEMA = pa.schema(
    [("line", pa.int64()), ("customer_id", pa.string()), ("record", pa.string()),
     ("partial", pa.string())]
)
WORK_DDL = "line long, customer_id string, record string, partial string"


def run(spark, rules, customers, name=None, header_lines=None, scores=None):
    """Scores `customers` (Parquet, or CSV with a header) and makes the
    report. Returns (the report as a dict, the DataFrame of score records:
    line, customer_id, record)."""
    import vasrec

    csv = customers.endswith(".csv")
    if csv:
        # Every cell as text, as `vasrec` reads a CSV file.
        frame = spark.read.option("header", True).option("inferSchema", False).csv(customers)
    else:
        frame = spark.read.parquet(customers)
    if header_lines is None:
        header_lines = 1 if csv else 0
    name = name or customers

    counts = frame.mapInArrow(count_rows, "partition int, rows long").collect()
    offsets, before = {}, header_lines
    for row in sorted(counts, key=lambda r: r.partition):
        offsets[row.partition] = before
        before += row.rows

    engine = vasrec.Engine.load(rules)  # the driver's, to allocate and report
    allocation = None
    if engine.needs_capacity:
        demands = frame.mapInArrow(make_demand(rules, offsets), "demand string").collect()
        allocation = engine.allocate([d.demand for d in demands])

    work = frame.mapInArrow(make_work(rules, offsets, allocation, name), WORK_DDL).cache()
    partials = [r.partial for r in work.where("partial IS NOT NULL").select("partial").collect()]
    report = vasrec.Report.from_json(partials[0])
    for text in partials[1:]:
        report.merge(vasrec.Report.from_json(text))
    records = work.where("partial IS NULL").select("line", "customer_id", "record")
    if scores:
        records.write.mode("overwrite").parquet(scores)
    return report.to_dict(engine), records


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", required=True, help="the rule package folder")
    parser.add_argument("--customers", required=True, help="Parquet, or CSV with a header")
    parser.add_argument("--scores", help="write the score records here (Parquet)")
    parser.add_argument("--report", help="write the dry-run report here (JSON)")
    parser.add_argument("--name", help="the input's name in the report (default --customers)")
    parser.add_argument(
        "--header-lines", type=int,
        help="lines before the first row (default 1 for CSV, 0 for Parquet); give 1 to number "
             "a Parquet copy of a CSV file's rows as the CSV's lines",
    )
    parser.add_argument("--master", help="e.g. local[2]; spark-submit sets it otherwise")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                        help="a Spark setting (repeatable)")
    args = parser.parse_args(argv)
    builder = SparkSession.builder.appName("vasrec score")
    if args.master:
        builder = builder.master(args.master)
    for setting in args.conf:
        key, _, value = setting.partition("=")
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    try:
        report, _ = run(
            spark, args.rules, args.customers, args.name, args.header_lines, args.scores
        )
    finally:
        spark.stop()
    text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
