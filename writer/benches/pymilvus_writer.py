"""The Python SDK's writer on the same rows as benches/throughput.rs.

Reads the JSONL file the Rust bench saved (--save-jsonl), parses each line
with json.loads and appends it to pymilvus' LocalBulkWriter, then commits;
once to Parquet and once to JSON. Prints one JSON line per format with
rows/s, rows per CPU-second (time.process_time, all threads) and the
process's peak RSS so far.

    python benches/pymilvus_writer.py ROWS.jsonl [--formats parquet,json] [--rows N]
"""

import argparse
import json
import resource
import sys
import tempfile
import time


def schema():
    from pymilvus import CollectionSchema, DataType, FieldSchema

    return CollectionSchema(
        fields=[
            FieldSchema("id", DataType.INT64, is_primary=True),
            FieldSchema("vector", DataType.FLOAT_VECTOR, dim=768),
            FieldSchema("title", DataType.VARCHAR, max_length=512),
            FieldSchema("meta", DataType.JSON),
        ]
    )


def run(path, file_type, limit):
    from pymilvus.bulk_writer import LocalBulkWriter

    with tempfile.TemporaryDirectory() as out:
        cpu = time.process_time()
        started = time.perf_counter()
        rows = 0
        with LocalBulkWriter(schema=schema(), local_path=out, file_type=file_type) as writer:
            with open(path, encoding="utf-8") as lines:
                for line in lines:
                    if limit is not None and rows >= limit:
                        break
                    writer.append_row(json.loads(line))
                    rows += 1
            writer.commit()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    return rows, seconds, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("jsonl")
    ap.add_argument("--formats", default="parquet,json")
    ap.add_argument("--rows", type=int, default=None)
    args = ap.parse_args()
    import pymilvus
    from pymilvus.bulk_writer import BulkFileType

    for name in args.formats.split(","):
        file_type = {"parquet": BulkFileType.PARQUET, "json": BulkFileType.JSON}[name]
        rows, seconds, cpu = run(args.jsonl, file_type, args.rows)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            json.dumps(
                {
                    "writer": f"pymilvus {pymilvus.__version__} LocalBulkWriter",
                    "format": name,
                    "rows": rows,
                    "seconds": round(seconds, 2),
                    "rows_per_s": round(rows / seconds),
                    "rows_per_cpu_s": round(rows / cpu),
                    "peak_rss_mb": round(peak_mb),
                }
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
