#!/usr/bin/env python3
"""Proves the harness end to end: files written by pyarrow and numpy are
imported into the running Milvus 2.3.5 through import_check.py (run as a
subprocess, as the Rust tests run it) and every value read back is compared.

    selftest.py [--port PORT | --endpoint HOST:PORT]  (default $MILVUS_ENDPOINT)
                [--workdir DIR] [--only NAME...]

The files go to DIR (kept), else to a temporary folder removed on success.

Covers every field type 2.3.5 has: Bool, Int8, Int16, Int32, Int64, Float,
Double, VarChar, JSON, Array of each element type, FloatVector,
BinaryVector, the dynamic field, an auto-id key, a VarChar key; in Parquet,
JSON rows and NumPy; several groups in one call; and refused files (the
failure reason comes back verbatim, exit code 1).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
F32 = np.float32


def f32(x):
    return float(F32(x))


# ---------------------------------------------------------------- schemas

SCALARS = [
    {"fieldName": "b", "dataType": "Bool"},
    {"fieldName": "i8", "dataType": "Int8"},
    {"fieldName": "i16", "dataType": "Int16"},
    {"fieldName": "i32", "dataType": "Int32"},
    {"fieldName": "i64", "dataType": "Int64"},
    {"fieldName": "f", "dataType": "Float"},
    {"fieldName": "d", "dataType": "Double"},
    {"fieldName": "s", "dataType": "VarChar", "elementTypeParams": {"max_length": 64}},
    {"fieldName": "j", "dataType": "JSON"},
]
ARRAYS = [
    {"fieldName": "a_" + e.lower(), "dataType": "Array", "elementDataType": e,
     "elementTypeParams": {"max_capacity": 5, **({"max_length": 16} if e == "VarChar" else {})}}
    for e in ["Bool", "Int8", "Int16", "Int32", "Int64", "Float", "Double", "VarChar"]
]

SCHEMA_ALL = {  # every scalar and array type, a float vector, the dynamic field
    "autoId": False,
    "enableDynamicField": True,
    "fields": [{"fieldName": "id", "dataType": "Int64", "isPrimary": True}]
    + SCALARS + ARRAYS
    + [{"fieldName": "vec", "dataType": "FloatVector", "elementTypeParams": {"dim": 8}}],
}
# NumPy import has no Array type in 2.3.5 (see README): the same without arrays.
SCHEMA_SCALARS = dict(SCHEMA_ALL, fields=[f for f in SCHEMA_ALL["fields"] if f["dataType"] != "Array"])
SCHEMA_BIN = {  # VarChar key, binary vector, no dynamic field
    "autoId": False,
    "enableDynamicField": False,
    "fields": [
        {"fieldName": "key", "dataType": "VarChar", "isPrimary": True, "elementTypeParams": {"max_length": 32}},
        {"fieldName": "n", "dataType": "Int32"},
        {"fieldName": "bv", "dataType": "BinaryVector", "elementTypeParams": {"dim": 16}},
    ],
}
SCHEMA_AUTO = {  # auto-id key, absent from the files
    "autoId": True,
    "enableDynamicField": False,
    "fields": [
        {"fieldName": "pk", "dataType": "Int64", "isPrimary": True},
        {"fieldName": "name", "dataType": "VarChar", "elementTypeParams": {"max_length": 32}},
        {"fieldName": "v", "dataType": "FloatVector", "elementTypeParams": {"dim": 4}},
    ],
}


def describe_shape(schema, name):
    """The same schema as a REST v2 `collections/describe` answer."""
    fields = []
    for f in schema["fields"]:
        d = {"name": f["fieldName"], "type": f["dataType"], "primaryKey": bool(f.get("isPrimary")),
             "autoId": bool(f.get("isPrimary")) and schema["autoId"],
             "params": [{"key": k, "value": str(v)} for k, v in f.get("elementTypeParams", {}).items()]}
        if "elementDataType" in f:
            d["elementType"] = f["elementDataType"]
        fields.append(d)
    return {"code": 0, "data": {"collectionName": name, "autoId": schema["autoId"],
                                "enableDynamicField": schema["enableDynamicField"], "fields": fields}}


# ---------------------------------------------------------------- rows

def rows_all(base, shadow=False, objects_only=False):
    """Five rows with edge values; ids start at base. shadow: dynamic keys
    named like schema fields (2.3.5 stores them in $meta). objects_only: every
    JSON value an object (JSON rows files refuse other JSON values)."""
    rng = np.random.default_rng(base + 7)
    ids = [base - 5, base, base + 1, base + 2**53 + 1, base + 2**62]
    bools = [True, False, True, False, True]
    i8 = [-128, 127, 0, -1, 5]
    i16 = [-32768, 32767, 0, 300, -300]
    i32 = [-2**31, 2**31 - 1, 0, 70000, -70000]
    i64 = [-2**63, 2**63 - 1, 0, 2**53 + 1, -(2**53 + 1)]
    fl = [0.1, -1e-30, 3.4028234663852886e38, 0.0, -2.5]
    db = [0.1, 1e308, 5e-324, -2.5, 1 / 3]
    st = ["", "plain", "unicode é 漢字 🎉", 'quote " back \\ nl \n tab \t', "x" * 64]
    js = [
        {"a": 1, "b": [1, 2, {"c": None}], "t": True},
        [],
        {"big": 9007199254740993, "f": 0.1, "neg": -7, "u": "é"},
        {},
        {"nested": {"deep": {"list": [1.5, "two", False]}}},
    ]
    meta = [{"color": "red", "n": 3}, {}, {"nested": {"x": [1, 2]}}, {"mf": 0.25}, {"ms": "ü"}]
    if shadow:
        meta[3], meta[4] = {"f": 0.25}, {"s": "ü", "id": -1}
    if objects_only:
        js[1] = {"was": []}
    arrays = {
        "a_bool": [[True, False], [], [False], [True, True, True, True, True], [False]],
        "a_int8": [[-128, 127], [], [0], [1, 2, 3, 4, 5], [-1]],
        "a_int16": [[-32768, 32767], [], [0], [1, 2, 3, 4, 5], [-1]],
        "a_int32": [[-2**31, 2**31 - 1], [], [0], [1, 2, 3, 4, 5], [-1]],
        "a_int64": [[-2**63, 2**63 - 1], [], [0], [1, 2, 3, 4, 5], [2**53 + 1]],
        "a_float": [[0.1, -0.5], [], [1e-30], [1, 2, 3, 4, 5], [3.4028234663852886e38]],
        "a_double": [[0.1, -0.5], [], [5e-324], [1, 2, 3, 4, 5], [1 / 3]],
        "a_varchar": [["a", "é"], [], [""], ["1", "2", "3", "4", "5"], ["x" * 16]],
    }
    vec = rng.standard_normal((5, 8)).astype(F32)
    vec[0, :4] = [0.1, -0.0, 1e-30, 3.4028234663852886e38]
    rows = []
    for i in range(5):
        r = {"id": ids[i], "b": bools[i], "i8": i8[i], "i16": i16[i], "i32": i32[i],
             "i64": i64[i], "f": fl[i], "d": db[i], "s": st[i], "j": js[i],
             "vec": [float(x) for x in vec[i]], "$meta": meta[i]}
        for k, v in arrays.items():
            r[k] = v[i]
        rows.append(r)
    return rows


def rows_bin(base):
    rows = []
    for i in range(4):
        rows.append({"key": f"k{base + i:04d}", "n": base + i,
                     "bv": [(base + 17 * i) % 256, (255 - i * 3) % 256]})
    rows[0]["bv"] = [0, 255]
    return rows


def rows_auto():
    return [{"name": f"n{i}", "v": [i + 0.5, -i, 0.1 * i, 1.0]} for i in range(6)]


def expected(schema, rows, json_rows=False):
    """What import_check must print for these rows. json_rows: the rows went
    through a JSON rows file, whose 2.3.5 reader rounds the elements of an
    Array<Double> to float32 (Parquet and NumPy keep them)."""
    types = {f["fieldName"]: f for f in schema["fields"]}
    out = []
    for r in rows:
        e = {}
        for name, f in types.items():
            if name not in r:
                continue
            v = r[name]
            t = f["dataType"]
            if t in ("Float", "FloatVector") or (t == "Array" and f["elementDataType"] == "Float"):
                v = f32(v) if t == "Float" else [f32(x) for x in v]
            if json_rows and t == "Array" and f["elementDataType"] == "Double":
                v = [f32(x) for x in v]
            e[name] = v
        if schema["enableDynamicField"]:
            e["$meta"] = r.get("$meta", {})
        out.append(e)
    pk = next(f["fieldName"] for f in schema["fields"] if f.get("isPrimary"))
    if not schema["autoId"]:
        out.sort(key=lambda e: e[pk])
    return out


# ---------------------------------------------------------------- writers

ARROW_SCALAR = {
    "Bool": pa.bool_(), "Int8": pa.int8(), "Int16": pa.int16(), "Int32": pa.int32(),
    "Int64": pa.int64(), "Float": pa.float32(), "Double": pa.float64(),
    "VarChar": pa.string(), "JSON": pa.string(),
}


def arrow_type(f):
    t = f["dataType"]
    if t == "Array":
        return pa.list_(ARROW_SCALAR[f["elementDataType"]])
    if t == "FloatVector":
        return pa.list_(pa.float32())
    if t == "BinaryVector":
        return pa.list_(pa.uint8())
    return ARROW_SCALAR[t]


def present_fields(schema):
    return [f for f in schema["fields"] if not (f.get("isPrimary") and schema["autoId"])]


def write_parquet(path, schema, rows):
    cols, names = [], []
    for f in present_fields(schema):
        vals = [r[f["fieldName"]] for r in rows]
        if f["dataType"] == "JSON":
            vals = [json.dumps(v, ensure_ascii=False) for v in vals]
        cols.append(pa.array(vals, type=arrow_type(f)))
        names.append(f["fieldName"])
    if schema["enableDynamicField"]:
        cols.append(pa.array([json.dumps(r.get("$meta", {}), ensure_ascii=False) for r in rows], pa.string()))
        names.append("$meta")
    pq.write_table(pa.Table.from_arrays(cols, names=names), path, compression="zstd")


def write_json(path, schema, rows, meta_as_keys=True):
    """Row-based JSON: {"rows": [...]}; JSON fields as JSON values; dynamic keys
    either at the top level of the row (meta_as_keys) or under "$meta"."""
    out = []
    for r in rows:
        o = {f["fieldName"]: r[f["fieldName"]] for f in present_fields(schema)}
        if schema["enableDynamicField"]:
            if meta_as_keys:
                o.update(r.get("$meta", {}))
            else:
                o["$meta"] = r.get("$meta", {})
        out.append(o)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"rows": out}, fh, ensure_ascii=False)


NP_SCALAR = {"Bool": np.bool_, "Int8": np.int8, "Int16": np.int16, "Int32": np.int32,
             "Int64": np.int64, "Float": np.float32, "Double": np.float64}


def write_numpy(folder, schema, rows):
    os.makedirs(folder, exist_ok=True)
    for f in present_fields(schema):
        vals = [r[f["fieldName"]] for r in rows]
        t = f["dataType"]
        if t in NP_SCALAR:
            arr = np.array(vals, dtype=NP_SCALAR[t])
        elif t == "VarChar":
            arr = np.array(vals, dtype=np.str_)
        elif t == "JSON":
            arr = np.array([json.dumps(v, ensure_ascii=False) for v in vals], dtype=np.str_)
        elif t == "FloatVector":
            arr = np.array(vals, dtype=np.float32)
        elif t == "BinaryVector":
            arr = np.array(vals, dtype=np.uint8)
        else:
            raise ValueError(f"no NumPy form for {t}")
        np.save(os.path.join(folder, f["fieldName"] + ".npy"), arr)
    if schema["enableDynamicField"]:
        np.save(os.path.join(folder, "$meta.npy"),
                np.array([json.dumps(r.get("$meta", {}), ensure_ascii=False) for r in rows], dtype=np.str_))


# ---------------------------------------------------------------- running

class Runner:
    def __init__(self, endpoint, workdir):
        self.endpoint = endpoint
        self.workdir = workdir
        self.failures = 0
        self.timings = []

    def path(self, name):
        return os.path.join(self.workdir, name)

    def check(self, name, schema, groups, want_rows=None, want_error=None, drop_pk=False):
        """Runs import_check.py on the groups; compares with want_rows, or
        wants the import refused with want_error in the reason."""
        schema_file = self.path(name + ".schema.json")
        with open(schema_file, "w") as fh:
            json.dump(schema, fh)
        cmd = [sys.executable, os.path.join(HERE, "import_check.py"), "--endpoint", self.endpoint,
               "--schema", schema_file, "--collection", "selftest_" + name]
        for g in groups:
            cmd += ["--files", *g]
        t = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True)
        secs = time.monotonic() - t
        problems = []
        try:
            doc = json.loads(p.stdout) if p.stdout.strip() else None
        except json.JSONDecodeError as e:
            doc, problems = None, [f"stdout is not one JSON document: {e}"]
        if want_error is not None:
            if p.returncode != 1:
                problems.append(f"exit {p.returncode}, want 1")
            elif not doc or want_error not in doc.get("error", ""):
                problems.append(f"error {doc and doc.get('error')!r} lacks {want_error!r}")
        elif p.returncode != 0:
            problems.append(f"exit {p.returncode}")
        elif doc is not None:
            data = doc["data"]
            if drop_pk:
                pks = [r.pop("pk") for r in data]
                if len(set(pks)) != len(pks) or not all(isinstance(x, int) for x in pks):
                    problems.append(f"auto ids not distinct ints: {pks}")
                data.sort(key=lambda r: r["name"])
            if doc["rows"] != len(want_rows):
                problems.append(f"rows {doc['rows']}, want {len(want_rows)}")
            for i, (got, want) in enumerate(zip(data, want_rows)):
                if got != want:
                    diff = {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
                    problems.append(f"row {i}: (got, want) {diff}")
        status = "ok" if not problems else "FAILED"
        detail = ""
        if doc and "seconds" in doc:
            detail = " ".join(f"{k} {v:.2f}s" for k, v in doc["seconds"].items())
            detail += " | import " + ", ".join(f"{t['seconds']:.2f}s" for t in doc.get("tasks", []))
        elif doc and "error" in doc:
            detail = "refused: " + doc["error"][:160]
        print(f"{status:6} {name:24} {secs:5.1f}s  {detail}", flush=True)
        for pr in problems:
            print("       " + pr, flush=True)
        if problems:
            self.failures += 1
            print("       stderr: " + p.stderr.strip()[-2000:], flush=True)
        self.timings.append((name, secs))
        return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int)
    ap.add_argument("--endpoint")
    ap.add_argument("--workdir")
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    endpoint = f"127.0.0.1:{a.port}" if a.port else (a.endpoint or os.environ.get("MILVUS_ENDPOINT"))
    if not endpoint:
        ap.error("give --port, --endpoint or MILVUS_ENDPOINT")
    own = not a.workdir
    workdir = os.path.abspath(a.workdir or tempfile.mkdtemp(prefix="milvus-selftest-"))
    os.makedirs(workdir, exist_ok=True)
    r = Runner(endpoint, workdir)
    P = r.path

    def want(name):
        return not a.only or name in a.only

    t0 = time.monotonic()
    if want("all_parquet"):
        rows = rows_all(0, shadow=True)
        write_parquet(P("all.parquet"), SCHEMA_ALL, rows)
        r.check("all_parquet", SCHEMA_ALL, [[P("all.parquet")]], expected(SCHEMA_ALL, rows))
    if want("all_json"):
        rows = rows_all(100, objects_only=True)
        write_json(P("all.json"), SCHEMA_ALL, rows)
        r.check("all_json", SCHEMA_ALL, [[P("all.json")]], expected(SCHEMA_ALL, rows, json_rows=True))
    if want("all_json_meta"):
        rows = rows_all(200, shadow=True, objects_only=True)
        write_json(P("all_meta.json"), SCHEMA_ALL, rows, meta_as_keys=False)
        r.check("all_json_meta", SCHEMA_ALL, [[P("all_meta.json")]], expected(SCHEMA_ALL, rows, json_rows=True))
    if want("scalars_numpy"):
        rows = rows_all(300, shadow=True)
        write_numpy(P("scalars_np"), SCHEMA_SCALARS, rows)
        r.check("scalars_numpy", SCHEMA_SCALARS, [[P("scalars_np")]], expected(SCHEMA_SCALARS, rows))
    if want("binary_groups"):
        a1, a2, a3 = rows_bin(0), rows_bin(10), rows_bin(20)
        write_parquet(P("bin.parquet"), SCHEMA_BIN, a1)
        write_json(P("bin.json"), SCHEMA_BIN, a2)
        write_numpy(P("bin_np"), SCHEMA_BIN, a3)
        r.check("binary_groups", SCHEMA_BIN, [[P("bin.parquet")], [P("bin.json")], [P("bin_np")]],
                expected(SCHEMA_BIN, a1 + a2 + a3))
    if want("describe_shape"):
        rows = rows_all(500)
        write_parquet(P("all_describe.parquet"), SCHEMA_ALL, rows)
        r.check("describe_shape", describe_shape(SCHEMA_ALL, "x"), [[P("all_describe.parquet")]],
                expected(SCHEMA_ALL, rows))
    if want("autoid"):
        rows = rows_auto()
        write_parquet(P("auto.parquet"), SCHEMA_AUTO, rows[:3])
        write_numpy(P("auto_np"), SCHEMA_AUTO, rows[3:])
        r.check("autoid", SCHEMA_AUTO, [[P("auto.parquet")], [P("auto_np")]],
                sorted(expected(SCHEMA_AUTO, rows), key=lambda e: e["name"]), drop_pk=True)
    if want("refused"):
        t = pa.table({"pk": pa.array([1], pa.int64()), "name": ["a"],
                      "v": pa.array([[1.0, 2.0, 3.0, 4.0]], pa.list_(pa.float32()))})
        pq.write_table(t, P("bad_autoid.parquet"))
        r.check("refused_autoid_key", SCHEMA_AUTO, [[P("bad_autoid.parquet")]],
                want_error="the field: pk is primary key, and autoID is true, please remove it from file")
        t = pa.table({"id": pa.array([1], pa.int64()), "f": pa.array([0.5], pa.float64()),
                      "v": pa.array([[1.0, 2.0]], pa.list_(pa.float32()))})
        pq.write_table(t, P("bad_float64.parquet"))
        small = {"autoId": False, "enableDynamicField": False, "fields": [
            {"fieldName": "id", "dataType": "Int64", "isPrimary": True},
            {"fieldName": "f", "dataType": "Float"},
            {"fieldName": "v", "dataType": "FloatVector", "elementTypeParams": {"dim": 2}}]}
        r.check("refused_float64", small, [[P("bad_float64.parquet")]],
                want_error="field schema is not match, collection field dataType: Float, file field dataType:float64")
        rows = rows_all(400)
        write_json(P("bad_json_list.json"), SCHEMA_ALL, rows[:2])
        r.check("refused_json_nonobject", SCHEMA_ALL, [[P("bad_json_list.json")]],
                want_error="illegal value '[]' for JSON type field 'j'")
        os.makedirs(P("bad_np_array"), exist_ok=True)
        arr_schema = {"autoId": False, "enableDynamicField": False, "fields": [
            {"fieldName": "id", "dataType": "Int64", "isPrimary": True},
            {"fieldName": "a", "dataType": "Array", "elementDataType": "Int64",
             "elementTypeParams": {"max_capacity": 4}},
            {"fieldName": "v", "dataType": "FloatVector", "elementTypeParams": {"dim": 2}}]}
        np.save(P("bad_np_array/id.npy"), np.array([1, 2], np.int64))
        np.save(P("bad_np_array/a.npy"), np.array([[1, 2], [3, 4]], np.int64))
        np.save(P("bad_np_array/v.npy"), np.array([[1, 2], [3, 4]], np.float32))
        r.check("refused_numpy_array", arr_schema, [[P("bad_np_array")]],
                want_error="illegal data type Int64 of numpy file for scalar field 'a' with type InvalidType")
        r.check("refused_missing_file", small, [[P("no_such_file.parquet")]],
                want_error="no such file or directory")
    if own and not r.failures:
        shutil.rmtree(workdir, ignore_errors=True)
        where = ""
    else:
        where = f" (files in {workdir})"
    print(f"{'FAILED' if r.failures else 'ok'}: {len(r.timings) - r.failures}/{len(r.timings)} cases "
          f"in {time.monotonic() - t0:.1f}s{where}")
    return 1 if r.failures else 0


if __name__ == "__main__":
    sys.exit(main())
