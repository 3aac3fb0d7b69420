"""Imports the writer's Parquet, JSON and NumPy output into a real Milvus
2.3.5 (the embedded server from PyPI) and reads every value back.

A smoke check to run by hand, before the CI test that comes later:

    python3 -m venv .venv-milvus
    .venv-milvus/bin/pip install "milvus==2.3.5" "pymilvus==2.3.7" "setuptools<70" \\
        "protobuf<5" "numpy<2" "pandas<2.2" "marshmallow<3.20" "pyarrow==17.0.0"
    cargo build --example write_files
    .venv-milvus/bin/python tests/milvus_smoke.py target/debug/examples/write_files

Prints one JSON line per format; exits 1 if any import fails or any value
differs.
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

DIM = 8


def rows(n):
    out = []
    for i in range(n):
        out.append({
            "id": i,
            "b": i % 2 == 0,
            "i8": -128 + i,
            "i16": 32767 - i,
            "i32": -2147483648 + i,
            "f": 0.5 + i,
            "d": 1e300 / (i + 1),
            "s": f"héllo{i}",
            "j": {"k": i, "tags": ["a", "b"]},
            "a": [i, -i, 9007199254740993],
            "fv": [float(i) + d / 8 for d in range(DIM)],
            "bv": [255, i % 256],
            "color": f"c{i}",
        })
    return out


def schema(with_array, vector):
    fields = [
        {"fieldName": "id", "dataType": "Int64", "isPrimary": True},
        {"fieldName": "b", "dataType": "Bool"},
        {"fieldName": "i8", "dataType": "Int8"},
        {"fieldName": "i16", "dataType": "Int16"},
        {"fieldName": "i32", "dataType": "Int32"},
        {"fieldName": "f", "dataType": "Float"},
        {"fieldName": "d", "dataType": "Double"},
        {"fieldName": "s", "dataType": "VarChar", "elementTypeParams": {"max_length": 16}},
        {"fieldName": "j", "dataType": "JSON"},
        {"fieldName": "fv", "dataType": "FloatVector", "elementTypeParams": {"dim": DIM}}
        if vector == "fv"
        else {"fieldName": "bv", "dataType": "BinaryVector", "elementTypeParams": {"dim": 16}},
    ]
    if with_array:
        fields.append({"fieldName": "a", "dataType": "Array", "elementDataType": "Int64",
                       "elementTypeParams": {"max_capacity": 4}})
    return {"enableDynamicField": True, "fields": fields}


def milvus_schema(with_array, vector):
    from pymilvus import CollectionSchema, DataType, FieldSchema

    fields = [
        FieldSchema("id", DataType.INT64, is_primary=True),
        FieldSchema("b", DataType.BOOL),
        FieldSchema("i8", DataType.INT8),
        FieldSchema("i16", DataType.INT16),
        FieldSchema("i32", DataType.INT32),
        FieldSchema("f", DataType.FLOAT),
        FieldSchema("d", DataType.DOUBLE),
        FieldSchema("s", DataType.VARCHAR, max_length=16),
        FieldSchema("j", DataType.JSON),
        FieldSchema("fv", DataType.FLOAT_VECTOR, dim=DIM)
        if vector == "fv"
        else FieldSchema("bv", DataType.BINARY_VECTOR, dim=16),
    ]
    if with_array:
        fields.append(FieldSchema("a", DataType.ARRAY, element_type=DataType.INT64, max_capacity=4))
    return CollectionSchema(fields, enable_dynamic_field=True)


def start(data):
    proc = subprocess.Popen(["milvus-server", "--data", data], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PATH": os.path.dirname(sys.executable) + ":" + os.environ["PATH"]})
    deadline = time.time() + 180
    for line in proc.stdout:
        if "Ctrl+C to exit" in line:
            break
        if time.time() > deadline:
            raise RuntimeError("milvus did not start")
    config = open(os.path.join(data, "configs", "milvus.yaml")).read()
    port = re.search(r"^proxy:\s*\n(?:\s+.*\n)*?\s+port:\s*(\d+)", config, re.M)
    return proc, int(port.group(1)) if port else 19530


def check(name, files, with_array, vector, expected):
    from pymilvus import BulkInsertState, Collection, utility

    collection = Collection(name, milvus_schema(with_array, vector))
    task = utility.do_bulk_insert(collection_name=name, files=files)
    while True:
        state = utility.get_bulk_insert_state(task)
        if state.state in (BulkInsertState.ImportCompleted, BulkInsertState.ImportFailed,
                           BulkInsertState.ImportFailedAndCleaned):
            break
        time.sleep(0.5)
    if state.state != BulkInsertState.ImportCompleted:
        return {"ok": False, "error": state.failed_reason}
    collection.flush()
    if vector == "fv":
        collection.create_index("fv", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
    else:
        collection.create_index("bv", {"index_type": "BIN_FLAT", "metric_type": "HAMMING", "params": {}})
    collection.load()
    fields = ["id", "b", "i8", "i16", "i32", "f", "d", "s", "j", vector, "color"] + (["a"] if with_array else [])
    got = sorted(collection.query("id >= 0", output_fields=fields), key=lambda r: r["id"])
    diffs = []
    for want, have in zip(expected, got):
        for k in fields:
            w, h = want[k], have.get(k)
            if k == "bv":
                w = bytes(w)
                h = bytes(h[0]) if isinstance(h, list) else bytes(h)
            if k == "f":
                w = float(w)
            if k == "fv":
                h = [float(x) for x in h]
            if k == "a":
                h = list(h)
            if w != h:
                diffs.append({"id": want["id"], "field": k, "want": repr(w), "got": repr(h)})
    return {"ok": not diffs and len(got) == len(expected), "rows": len(got), "diffs": diffs[:5]}


def main():
    writer = os.path.abspath(sys.argv[1])
    from pymilvus import connections

    with tempfile.TemporaryDirectory() as work:
        proc, port = start(os.path.join(work, "milvus"))
        failed = False
        try:
            connections.connect(host="127.0.0.1", port=port)
            data = rows(100)
            for fmt, with_array in [("parquet", True), ("json", True), ("numpy", False)]:
                for vector in ["fv", "bv"]:
                    other = "bv" if vector == "fv" else "fv"
                    keep = [{k: v for k, v in r.items() if k != other and (with_array or k != "a")} for r in data]
                    source = os.path.join(work, f"rows-{fmt}-{vector}.jsonl")
                    with open(source, "w") as f:
                        for r in keep:
                            f.write(json.dumps(r) + "\n")
                    schema_path = os.path.join(work, f"schema-{fmt}-{vector}.json")
                    with open(schema_path, "w") as f:
                        json.dump(schema(with_array, vector), f)
                    out = os.path.join(work, f"out-{fmt}-{vector}")
                    written = json.loads(subprocess.run([writer, schema_path, source, fmt, out],
                                                        check=True, capture_output=True, text=True).stdout)
                    files = [os.path.join(out, p) for p in written["files"][0]]
                    result = check(f"smoke_{fmt}_{vector}", files, with_array, vector, keep)
                    result["format"] = f"{fmt} ({vector})"
                    print(json.dumps(result), flush=True)
                    failed |= not result["ok"]
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
