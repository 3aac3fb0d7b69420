#!/usr/bin/env python3
"""Import files into a real Milvus 2.3.5 and print every row read back.

Usage (run with the venv that setup.sh builds):

    import_check.py --port 19530 --schema schema.json --collection c1 \
        --files /abs/a.parquet --files /abs/numpy_dir ...

- --schema: the Milvus REST v2 `collections/create` schema written by hand
  ({"autoId", "enableDynamicField", "fields": [{"fieldName", "dataType",
  "isPrimary", "elementDataType", "elementTypeParams": {"dim", "max_length",
  "max_capacity"}}]}), or a whole create request that holds it under
  "schema", or the `collections/describe` answer (its "data" or the whole
  answer: fields with "name", "type", "primaryKey", "autoId", "params",
  "elementType").
- --files: one import task, repeated for each group. A group is one .parquet
  or .json file, or one folder of <field>.npy files (or the .npy files
  themselves). Paths are made absolute: the server resolves relative ones
  against its own working directory.

The collection is dropped and created again, each group is imported and
waited for, then the collection is flushed, indexed (FLAT / BIN_FLAT), loaded
and queried whole. Stdout gets one JSON document:

    {"rows": N, "data": [{"field": value, ..., "$meta": {...}}, ...]}

sorted by primary key ("data": null with --count-only). Float and
FloatVector values are float32 values printed as the shortest decimal of the
same number as an f64, so that parsing
them as f32 or as f64 gives the stored value exactly; Double values round-trip
as f64; BinaryVector values are lists of byte ints; JSON values are parsed
JSON; the dynamic keys of a row are in "$meta" (present only when the
dynamic field is on). Non-finite floats are printed as the strings "NaN",
"Infinity", "-Infinity".

Exit codes: 0 done; 1 an import task failed (stdout: {"error": REASON,
"group": [...], "state": ...}, the reason verbatim, also on stderr);
2 bad arguments or schema; 3 anything else (connection, timeout, server
error), with the message on stderr.
"""

import argparse
import json
import math
import os
import sys
import time

EXIT_IMPORT_FAILED = 1
EXIT_USAGE = 2
EXIT_OTHER = 3


class UsageError(Exception):
    pass


class ImportFailed(Exception):
    def __init__(self, reason, group, state, task_id):
        super().__init__(reason)
        self.reason = reason
        self.group = group
        self.state = state
        self.task_id = task_id


def log(msg):
    print(f"import_check: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- schema

TYPE_NAMES = {
    "bool": "BOOL",
    "int8": "INT8",
    "int16": "INT16",
    "int32": "INT32",
    "int64": "INT64",
    "float": "FLOAT",
    "double": "DOUBLE",
    "varchar": "VARCHAR",
    "string": "VARCHAR",
    "json": "JSON",
    "array": "ARRAY",
    "floatvector": "FLOAT_VECTOR",
    "binaryvector": "BINARY_VECTOR",
}
MISSING_IN_23 = {"float16vector", "bfloat16vector", "sparsefloatvector", "int8vector"}


def type_of(name, what):
    if not isinstance(name, str):
        raise UsageError(f"{what}: data type {name!r} is not a string")
    key = name.replace("_", "").lower()
    if key in MISSING_IN_23:
        raise UsageError(f"{what}: Milvus 2.3.5 has no {name} type")
    if key not in TYPE_NAMES:
        raise UsageError(f"{what}: unknown data type {name!r}")
    return TYPE_NAMES[key]


def int_param(params, key, what):
    if key not in params or params[key] is None or params[key] == "":
        return None
    try:
        return int(params[key])
    except (TypeError, ValueError):
        raise UsageError(f"{what}: {key} {params[key]!r} is not an integer") from None


def normalise_schema(doc):
    """Any accepted schema shape -> {"auto_id", "dynamic", "fields": [...]}.

    Each field: {"name", "type", "primary", "auto_id", "element_type", "dim",
    "max_length", "max_capacity", "partition_key"}.
    """
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict) and "fields" in doc["data"]:
        doc = doc["data"]  # a whole describe answer
    if isinstance(doc, dict) and isinstance(doc.get("schema"), dict):
        top = doc
        doc = dict(doc["schema"])  # a whole create request
        doc.setdefault("enableDynamicField", top.get("enableDynamicField"))
    if not isinstance(doc, dict) or not isinstance(doc.get("fields"), list) or not doc["fields"]:
        raise UsageError("schema: no \"fields\" list")
    auto_id = bool(doc.get("autoId", doc.get("autoID", False)))
    dynamic = bool(doc.get("enableDynamicField", False))
    fields = []
    for i, f in enumerate(doc["fields"]):
        if not isinstance(f, dict):
            raise UsageError(f"schema: field {i} is not an object")
        name = f.get("fieldName", f.get("name"))
        if not isinstance(name, str) or not name:
            raise UsageError(f"schema: field {i} has no name")
        what = f"schema: field {name!r}"
        params = {}
        raw = f.get("elementTypeParams", f.get("params", {})) or {}
        if isinstance(raw, list):  # describe answers [{"key": .., "value": ..}]
            for kv in raw:
                params[kv.get("key")] = kv.get("value")
        elif isinstance(raw, dict):
            params.update(raw)
        else:
            raise UsageError(f"{what}: params are neither an object nor a list")
        if f.get("nullable") or "defaultValue" in f:
            raise UsageError(f"{what}: Milvus 2.3.5 has no nullable or default-valued fields")
        primary = bool(f.get("isPrimary", f.get("primaryKey", False)))
        ftype = type_of(f.get("dataType", f.get("type")), what)
        element = f.get("elementDataType", f.get("elementType"))
        field = {
            "name": name,
            "type": ftype,
            "primary": primary,
            "auto_id": primary and bool(f.get("autoId", f.get("autoID", auto_id))),
            "partition_key": bool(f.get("isPartitionKey", f.get("partitionKey", False))),
            "element_type": type_of(element, what + " element") if element else None,
            "dim": int_param(params, "dim", what),
            "max_length": int_param(params, "max_length", what),
            "max_capacity": int_param(params, "max_capacity", what),
        }
        if ftype == "ARRAY" and not field["element_type"]:
            raise UsageError(f"{what}: an Array needs elementDataType")
        if ftype.endswith("VECTOR") and not field["dim"]:
            raise UsageError(f"{what}: a vector needs elementTypeParams.dim")
        fields.append(field)
    prim = [f for f in fields if f["primary"]]
    if len(prim) != 1:
        raise UsageError(f"schema: {len(prim)} primary key fields, need exactly one")
    if prim[0]["type"] not in ("INT64", "VARCHAR"):
        raise UsageError("schema: the primary key must be Int64 or VarChar")
    vectors = [f for f in fields if f["type"].endswith("VECTOR")]
    if len(vectors) != 1:
        raise UsageError(
            f"schema: {len(vectors)} vector fields; Milvus 2.3.5 needs exactly one per collection"
        )
    return {"auto_id": prim[0]["auto_id"], "dynamic": dynamic, "fields": fields}


def build_schema(norm):
    from pymilvus import CollectionSchema, DataType, FieldSchema

    out = []
    for f in norm["fields"]:
        kw = {}
        if f["type"].endswith("VECTOR"):
            kw["dim"] = f["dim"]
        if f["type"] == "VARCHAR" or f["element_type"] == "VARCHAR":
            kw["max_length"] = f["max_length"] or 65535
        if f["type"] == "ARRAY":
            kw["element_type"] = getattr(DataType, f["element_type"])
            kw["max_capacity"] = f["max_capacity"] or 4096
        if f["primary"]:
            kw["is_primary"] = True
            kw["auto_id"] = f["auto_id"]
        if f["partition_key"]:
            kw["is_partition_key"] = True
        out.append(FieldSchema(f["name"], getattr(DataType, f["type"]), **kw))
    return CollectionSchema(out, enable_dynamic_field=norm["dynamic"])


# ---------------------------------------------------------------- files


def expand_group(paths):
    """One --files group -> the absolute file list of one import task."""
    files = []
    for p in paths:
        p = os.path.abspath(p)
        if os.path.isdir(p):
            npys = sorted(
                os.path.join(p, n) for n in os.listdir(p) if n.endswith(".npy")
            )
            if not npys:
                raise UsageError(f"{p}: a folder with no .npy file")
            files.extend(npys)
        else:
            files.append(p)
    return files


# ---------------------------------------------------------------- values


def num(x):
    """A float (float32 or f64) for JSON: exact, finite or a string."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def plain(value, ftype, element_type=None):
    import numpy as np

    if value is None:
        return None
    if ftype == "FLOAT_VECTOR":
        return [num(v) for v in value]
    if ftype == "BINARY_VECTOR":
        # pymilvus answers [b"..."]: one bytes object in a list.
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], (bytes, bytearray)):
            value = value[0]
        if isinstance(value, (bytes, bytearray)):
            return list(value)
        return [int(v) for v in value]
    if ftype in ("FLOAT", "DOUBLE"):
        return num(value)
    if ftype == "ARRAY":
        return [plain(v, element_type) for v in value]
    if ftype == "BOOL":
        return bool(value)
    if ftype.startswith("INT"):
        return int(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def json_tree(v):
    """Parsed JSON with numpy scalars made plain and non-finite floats as strings."""
    if isinstance(v, dict):
        return {k: json_tree(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_tree(x) for x in v]
    if isinstance(v, float):
        return num(v)
    return v


# ---------------------------------------------------------------- milvus


def patch_pymilvus():
    """Two changes to how pymilvus 2.3.7 turns query results into rows:
    - JSON values are parsed by the standard library instead of ujson, which
      keeps big integers and float text exact;
    - the dynamic field comes back whole under "$meta" instead of its keys
      being merged into the row, where a key named like a schema field (which
      2.3.5 stores) would overwrite that field's value or be lost.
    """
    import pymilvus.client.entity_helper as entity_helper

    entity_helper.ujson = json
    original = entity_helper.extract_row_data_from_fields_data

    def rows_with_meta(fields_data, index, dynamic_output_fields=None):
        static = [fd for fd in fields_data if not fd.is_dynamic]
        row = original(static, index, dynamic_output_fields)
        for fd in fields_data:
            if fd.is_dynamic:
                row["$meta"] = json.loads(fd.scalars.json_data.data[index])
        return row

    entity_helper.extract_row_data_from_fields_data = rows_with_meta


def connect(endpoint, timeout):
    from pymilvus import connections

    host, _, port = endpoint.rpartition(":")
    connections.connect("default", host=host or "127.0.0.1", port=port, timeout=timeout)


def wait_task(utility, task_id, group, timeout, poll):
    from pymilvus import BulkInsertState

    deadline = time.monotonic() + timeout
    last = None
    while True:
        st = utility.get_bulk_insert_state(task_id)
        last = st
        if st.state == BulkInsertState.ImportCompleted:
            return st
        if st.state in (BulkInsertState.ImportFailed, BulkInsertState.ImportFailedAndCleaned):
            reason = st.infos.get(BulkInsertState.FAILED_REASON, "")
            raise ImportFailed(reason, group, st.state_name, task_id)
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"import task {task_id} of {group} not done after {timeout} s "
                f"(state {last.state_name}, {last.row_count} rows so far)"
            )
        time.sleep(poll)


def run(args):
    t0 = time.monotonic()
    with open(args.schema, encoding="utf-8") as fh:
        try:
            schema_doc = json.load(fh)
        except json.JSONDecodeError as e:
            raise UsageError(f"{args.schema}: not JSON: {e}") from None
    norm = normalise_schema(schema_doc)
    groups = [expand_group(g) for g in (args.files or [])]

    patch_pymilvus()
    from pymilvus import Collection, utility

    connect(args.endpoint, args.connect_timeout)
    name = args.collection
    if utility.has_collection(name):
        utility.drop_collection(name)
    coll = Collection(name, build_schema(norm))
    try:
        return read_back(args, norm, groups, coll, t0)
    finally:
        if not args.keep:
            try:
                utility.drop_collection(name)
            except Exception as e:  # the answer is out already
                log(f"could not drop {name}: {e}")


def read_back(args, norm, groups, coll, t0):
    from pymilvus import utility

    name = coll.name
    timings = {"create": time.monotonic() - t0}

    tasks = []
    for group in groups:
        t = time.monotonic()
        task_id = utility.do_bulk_insert(name, files=group)
        st = wait_task(utility, task_id, group, args.timeout, args.poll)
        tasks.append({"files": group, "task": task_id, "rows": st.row_count,
                      "seconds": round(time.monotonic() - t, 3)})
        log(f"imported {st.row_count} rows from {group} in {time.monotonic() - t:.2f} s")

    t = time.monotonic()
    coll.flush()
    vec = next(f for f in norm["fields"] if f["type"].endswith("VECTOR"))
    if vec["type"] == "FLOAT_VECTOR":
        index = {"index_type": "FLAT", "metric_type": "L2", "params": {}}
    else:
        index = {"index_type": "BIN_FLAT", "metric_type": "HAMMING", "params": {}}
    coll.create_index(vec["name"], index)
    coll.load(timeout=args.timeout)
    timings["flush_index_load"] = time.monotonic() - t

    t = time.monotonic()
    by_name = {f["name"]: f for f in norm["fields"]}
    pk = next(f for f in norm["fields"] if f["primary"])
    out_fields = [f["name"] for f in norm["fields"]]
    if norm["dynamic"]:
        out_fields.append("$meta")
    if args.count_only:
        out_fields = [pk["name"]]
    rows = []
    it = coll.query_iterator(batch_size=args.batch, output_fields=out_fields)
    while True:
        batch = it.next()
        if not batch:
            break
        rows.extend(batch)
    it.close()
    count = coll.query(expr="", output_fields=["count(*)"])[0]["count(*)"]
    timings["query"] = time.monotonic() - t

    data = []
    for r in rows:
        row = {}
        for f in norm["fields"]:
            if f["name"] in r:
                v = r[f["name"]]
                row[f["name"]] = json_tree(v) if f["type"] == "JSON" else plain(v, f["type"], f["element_type"])
        if norm["dynamic"]:
            meta = r.get("$meta", {})
            if not isinstance(meta, dict):
                raise RuntimeError(f"a row's dynamic field is not an object: {meta!r}")
            row["$meta"] = json_tree(meta)
        extra = sorted(k for k in r if k not in by_name and k != "$meta")
        if extra:
            raise RuntimeError(f"unexpected keys in a row: {extra}")
        data.append(row)
    data.sort(key=lambda row: row[pk["name"]])
    if count != len(data):
        raise RuntimeError(f"count(*) says {count} rows but the query gave {len(data)}")

    timings["total"] = time.monotonic() - t0
    if args.count_only:
        data = None
    return {
        "rows": count,
        "data": data,
        "tasks": tasks,
        "seconds": {k: round(v, 3) for k, v in timings.items()},
    }


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Import files into a real Milvus 2.3.5 and print every row read back as JSON."
    )
    p.add_argument("--port", type=int, help="gRPC port on 127.0.0.1")
    p.add_argument("--endpoint", help="HOST:PORT (default $MILVUS_ENDPOINT)")
    p.add_argument("--schema", required=True, help="schema JSON file")
    p.add_argument("--collection", required=True)
    p.add_argument("--files", action="append", nargs="+", metavar="PATH",
                   help="one import task: a .parquet/.json file or a folder of .npy files; repeat per group")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds to wait for each import task and for the load (default 120)")
    p.add_argument("--connect-timeout", type=float, default=20.0)
    p.add_argument("--poll", type=float, default=0.2, help="seconds between task polls")
    p.add_argument("--batch", type=int, default=4096, help="query page size")
    p.add_argument("--keep", action="store_true",
                   help="keep the collection, loaded (default: drop it at the end, failed or not)")
    p.add_argument("--count-only", action="store_true",
                   help='read back the primary keys only and print "data": null (for big files)')
    p.add_argument("--pretty", action="store_true", help="indent the JSON on stdout")
    args = p.parse_args(argv)
    if args.port is not None:
        args.endpoint = f"127.0.0.1:{args.port}"
    args.endpoint = args.endpoint or os.environ.get("MILVUS_ENDPOINT")
    if not args.endpoint:
        p.error("give --port, --endpoint or MILVUS_ENDPOINT")

    # Keep stdout for the one JSON document: anything a library prints goes to stderr.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr

    def emit(doc):
        real_stdout.write(json.dumps(doc, ensure_ascii=False, indent=1 if args.pretty else None))
        real_stdout.write("\n")
        real_stdout.flush()

    try:
        doc = run(args)
    except UsageError as e:
        log(str(e))
        return EXIT_USAGE
    except ImportFailed as e:
        log(f"import task {e.task_id} of {e.group} {e.state}: {e.reason}")
        emit({"error": e.reason, "group": e.group, "state": e.state, "task": e.task_id})
        return EXIT_IMPORT_FAILED
    except Exception as e:  # connection, timeout, server errors
        log(f"{type(e).__name__}: {e}")
        return EXIT_OTHER
    finally:
        try:
            from pymilvus import connections

            connections.disconnect("default")
        except Exception:
            pass
    emit(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
