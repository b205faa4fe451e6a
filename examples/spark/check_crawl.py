"""Checks a crawl for spun pages on Spark with the `unspin` Python package.

Reads a JSONL or Parquet crawl with an id and a text column, checks every page with
`mapInPandas` (each Python worker calls `unspin.check_many` on a batch of pages), and writes
the id with the score, the verdict, the word count and the findings (an array of structs:
start, end, text, suggestion, alternatives, confidence; byte offsets into the page's text) as
columns, to Parquet or JSONL. Local mode:

    python examples/spark/check_crawl.py crawl.jsonl out.parquet --master 'local[2]'

On a cluster, install the `unspin` wheel on every executor and give --master (or use
spark-submit with this file).
"""

import argparse
import time

from pyspark.sql import SparkSession

# One output row per page. The findings keep the CLI's field names and order.
SCHEMA = (
    "id string, score double, verdict string, words long, "
    "findings array<struct<start: long, end: long, text: string, suggestion: string, "
    "alternatives: array<string>, confidence: double>>"
)


def checker(threshold, papers, jobs, restored):
    """The function mapInPandas runs on each partition's batches of (id, text) rows."""

    def check_batches(batches):
        import pandas as pd

        import unspin  # imported on the worker; the model loads once per worker process

        for pdf in batches:
            texts = pdf["text"].fillna("").astype(str).tolist()
            reports = unspin.check_many(texts, threshold=threshold, papers=papers, jobs=jobs)
            out = {
                "id": pdf["id"].astype(str).tolist(),
                "score": [r["score"] for r in reports],
                "verdict": [r["verdict"] for r in reports],
                "words": [r["words"] for r in reports],
                "findings": [r["findings"] for r in reports],
            }
            if restored:
                out["restored"] = [r["restored"] for r in reports]
            yield pd.DataFrame(out)

    return check_batches


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="crawl: .jsonl/.json (lines of {id, text, ...}) or .parquet (file or directory)")
    ap.add_argument("output", help="output: .parquet (default) or .jsonl directory")
    ap.add_argument("--master", default=None, help="Spark master, e.g. local[2] (default: spark-submit's)")
    ap.add_argument("--id-col", default="id")
    ap.add_argument("--text-col", default="text")
    ap.add_argument("--threshold", type=float, default=0.7)
    ap.add_argument("--papers", action="store_true", help="screening papers for tortured phrases")
    ap.add_argument("--restored", action="store_true", help="also write the restored text")
    ap.add_argument("--jobs", type=int, default=1,
                    help="threads per Python worker (Spark already runs one worker per core)")
    ap.add_argument("--partitions", type=int, default=0,
                    help="partitions to check (default: 4 per core; a crawl read as one split would use one core)")
    a = ap.parse_args()

    b = SparkSession.builder.appName("unspin-check-crawl").config("spark.ui.showConsoleProgress", "false")
    if a.master:
        b = b.master(a.master)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    start = time.time()
    if a.input.rstrip("/").endswith(".parquet"):
        df = spark.read.parquet(a.input)
    else:
        # the two columns' schema given: no pass over the crawl to infer one (a numeric id
        # is read as its text)
        df = spark.read.schema(f"`{a.id_col}` string, `{a.text_col}` string").json(a.input)
    df = df.select(df[a.id_col].cast("string").alias("id"), df[a.text_col].alias("text"))
    parts = a.partitions or 4 * spark.sparkContext.defaultParallelism
    df = df.repartition(parts)
    schema = SCHEMA + (", restored string" if a.restored else "")
    out = df.mapInPandas(checker(a.threshold, a.papers, a.jobs, a.restored), schema=schema)
    if a.output.rstrip("/").endswith(".jsonl"):
        out.write.mode("overwrite").json(a.output)
    else:
        out.write.mode("overwrite").parquet(a.output)
    print(f"checked {a.input} into {a.output} in {time.time() - start:.1f} s "
          f"({parts} partitions, after the session started)")
    spark.stop()


if __name__ == "__main__":
    main()
