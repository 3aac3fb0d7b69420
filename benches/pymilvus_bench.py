"""Sequential creates through pymilvus' bulk_import, the way Python users call it.

Run by benches/vs_pymilvus.rs against the same standalone emulator as the
Rust client; prints one JSON line with the timings. Times only the calls
(not the interpreter's start or the import of pymilvus).

    python benches/pymilvus_bench.py --url http://127.0.0.1:PORT --api-key K \
        --cluster-id in01-emulator --collection medium_articles \
        --object-url s3://bucket/file.json --calls 300
"""

import argparse
import inspect
import json
import statistics
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--api-key", required=True)
    ap.add_argument("--cluster-id", required=True)
    ap.add_argument("--collection", required=True)
    ap.add_argument("--object-url", required=True)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--signature", action="store_true", help="print bulk_import's signature and exit")
    args = ap.parse_args()

    import pymilvus
    from pymilvus.bulk_writer import bulk_import

    if args.signature:
        print(f"pymilvus {pymilvus.__version__}: bulk_import{inspect.signature(bulk_import)}")
        return 0

    def call() -> str:
        resp = bulk_import(
            url=args.url,
            api_key=args.api_key,
            cluster_id=args.cluster_id,
            collection_name=args.collection,
            object_url=args.object_url,
        )
        body = resp.json()
        if body.get("code") != 0:
            raise RuntimeError(f"unexpected answer: {body}")
        return body["data"]["jobId"]

    for _ in range(args.warmup):
        call()
    latencies = []
    started = time.perf_counter()
    for _ in range(args.calls):
        t = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - t)
    seconds = time.perf_counter() - started
    latencies.sort()
    print(
        json.dumps(
            {
                "pymilvus": pymilvus.__version__,
                "python": sys.version.split()[0],
                "calls": args.calls,
                "seconds": seconds,
                "p50_us": statistics.median(latencies) * 1e6,
                "p90_us": latencies[int(0.9 * (len(latencies) - 1))] * 1e6,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
