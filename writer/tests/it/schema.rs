//! Reading schemas: the describe answer, the create shape, the builder,
//! and the refusals.

use serde_json::json;
use zilliz_import_writer::{
    BinaryDim, DataType, DefaultValue, Dim, ElementType, Field, Schema, SchemaError,
};

use crate::common;

#[test]
fn describe_answer_whole_or_data_reads_every_type() {
    let whole = common::all_types_describe();
    let a = Schema::from_json_value(&whole).unwrap();
    let b = Schema::from_json_value(&whole["data"]).unwrap();
    assert_eq!(a, b);
    assert!(a.dynamic_field());
    assert_eq!(a.primary_key().name(), "id");
    let types: Vec<DataType> = a.fields().iter().map(|f| *f.data_type()).collect();
    assert_eq!(types[7], DataType::VarChar { max_length: 8 });
    assert_eq!(
        types[16],
        DataType::Array {
            element: ElementType::VarChar { max_length: 4 },
            max_capacity: 3
        }
    );
    assert_eq!(
        types[17],
        DataType::FloatVector {
            dim: Dim::new(4).unwrap()
        }
    );
    assert_eq!(
        types[18],
        DataType::BinaryVector {
            dim: BinaryDim::new(16).unwrap()
        }
    );
    assert_eq!(types[22], DataType::SparseFloatVector);
    let n = a.field("n").unwrap();
    assert!(n.is_nullable() && n.default().is_none());
    assert_eq!(
        a.field("dflt").unwrap().default(),
        Some(&DefaultValue::Int(7))
    );
    assert_eq!(
        a.field("dname").unwrap().default(),
        Some(&DefaultValue::String("x".into()))
    );
}

#[test]
fn create_shape_with_numbers_or_strings_and_schema_level_auto_id() {
    let request = json!({
        "collectionName": "c",
        "schema": {
            "autoId": true,
            "enableDynamicField": false,
            "fields": [
                {"fieldName": "pk", "dataType": "Int64", "isPrimary": true},
                {"fieldName": "v", "dataType": "FloatVector", "elementTypeParams": {"dim": 768}},
                {"fieldName": "t", "dataType": "VarChar", "elementTypeParams": {"max_length": "512"}},
                {"fieldName": "tags", "dataType": "Array", "elementDataType": "Int64", "elementTypeParams": {"max_capacity": 8}},
                {"fieldName": "score", "dataType": "Float", "nullable": true, "defaultValue": 1.5}
            ],
            "functions": []
        }
    });
    let schema = Schema::from_json_value(&request).unwrap();
    let pk = schema.field("pk").unwrap();
    assert!(pk.is_primary_key() && pk.is_auto_id());
    assert_eq!(
        *schema.field("v").unwrap().data_type(),
        DataType::FloatVector {
            dim: Dim::new(768).unwrap()
        }
    );
    assert_eq!(
        *schema.field("t").unwrap().data_type(),
        DataType::VarChar { max_length: 512 }
    );
    assert_eq!(
        *schema.field("tags").unwrap().data_type(),
        DataType::Array {
            element: ElementType::Int64,
            max_capacity: 8
        }
    );
    assert_eq!(
        schema.field("score").unwrap().default(),
        Some(&DefaultValue::Float(1.5))
    );
    assert!(!schema.dynamic_field());
}

#[test]
fn function_outputs_and_old_inline_spellings() {
    let schema = Schema::from_json(
        r#"{"fields": [
            {"name": "id", "type": "VarChar(64)", "primaryKey": true},
            {"name": "text", "type": "VarChar", "params": [{"key": "max_length", "value": "1000"}, {"key": "enable_analyzer", "value": "true"}]},
            {"name": "sparse", "type": "SparseFloatVector", "isFunctionOutput": true},
            {"name": "dense", "type": "FloatVector(8)"}
        ],
        "functions": [{"name": "bm25", "type": "BM25", "inputFieldNames": ["text"], "outputFieldNames": ["sparse"]}]}"#,
    )
    .unwrap();
    assert_eq!(
        *schema.field("id").unwrap().data_type(),
        DataType::VarChar { max_length: 64 }
    );
    assert!(schema.field("sparse").unwrap().is_function_output());
    assert_eq!(
        *schema.field("dense").unwrap().data_type(),
        DataType::FloatVector {
            dim: Dim::new(8).unwrap()
        }
    );
}

#[test]
fn protobuf_default_values_as_milvus_prints_them() {
    let schema = Schema::from_json_value(&json!({"fields": [
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "a", "type": "Int32", "defaultValue": {"Data": {"IntData": 5}}},
        {"name": "b", "type": "Int64", "defaultValue": {"longData": "9007199254740993"}},
        {"name": "c", "type": "Bool", "defaultValue": {"Data": {"BoolData": true}}},
        {"name": "d", "type": "VarChar", "params": [{"key": "max_length", "value": "4"}], "defaultValue": {"Data": {"StringData": "abc"}}}
    ]}))
    .unwrap();
    assert_eq!(
        schema.field("a").unwrap().default(),
        Some(&DefaultValue::Int(5))
    );
    assert_eq!(
        schema.field("b").unwrap().default(),
        Some(&DefaultValue::Int(9007199254740993))
    );
    assert_eq!(
        schema.field("c").unwrap().default(),
        Some(&DefaultValue::Bool(true))
    );
    assert_eq!(
        schema.field("d").unwrap().default(),
        Some(&DefaultValue::String("abc".into()))
    );
}

fn refusal(fields: serde_json::Value) -> SchemaError {
    Schema::from_json_value(&json!({ "fields": fields })).unwrap_err()
}

#[test]
fn unknown_and_unsupported_types_name_the_field() {
    let e = refusal(json!([
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "weird", "type": "Quaternion"}
    ]));
    assert!(
        matches!(&e, SchemaError::UnknownType { field, type_name } if field == "weird" && type_name == "Quaternion"),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "field `weird`: unknown type `Quaternion`");
    let e = refusal(json!([
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "st", "type": "ArrayOfStruct"}
    ]));
    assert!(
        matches!(&e, SchemaError::UnsupportedType { field, .. } if field == "st"),
        "{e:?}"
    );
    let e = refusal(json!([
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "a", "type": "Array", "elementType": "JSON", "params": [{"key": "max_capacity", "value": "2"}]}
    ]));
    assert!(
        matches!(&e, SchemaError::UnsupportedType { field, type_name } if field == "a" && type_name == "Array of JSON"),
        "{e:?}"
    );
}

#[test]
fn missing_and_bad_params() {
    let e = refusal(json!([
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "v", "type": "FloatVector"}
    ]));
    assert!(
        matches!(&e, SchemaError::MissingParam { field, param: "dim" } if field == "v"),
        "{e:?}"
    );
    let e = refusal(json!([
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "v", "type": "BinaryVector", "params": [{"key": "dim", "value": "12"}]}
    ]));
    assert!(
        matches!(&e, SchemaError::BadParam { field, param, .. } if field == "v" && param == "dim"),
        "{e:?}"
    );
    let e = refusal(json!([
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "s", "type": "VarChar", "params": [{"key": "max_length", "value": "lots"}]}
    ]));
    assert!(
        matches!(&e, SchemaError::BadParam { field, param, value } if field == "s" && param == "max_length" && value == "\"lots\""),
        "{e:?}"
    );
}

#[test]
fn whole_schema_rules() {
    assert!(matches!(
        refusal(json!([{"name": "a", "type": "Int64"}])),
        SchemaError::NoPrimaryKey
    ));
    assert!(matches!(
        refusal(json!([
            {"name": "a", "type": "Int64", "primaryKey": true},
            {"name": "b", "type": "Int64", "primaryKey": true}
        ])),
        SchemaError::SeveralPrimaryKeys(a, b) if a == "a" && b == "b"
    ));
    assert!(matches!(
        refusal(json!([
            {"name": "a", "type": "Int64", "primaryKey": true},
            {"name": "a", "type": "Int64"}
        ])),
        SchemaError::DuplicateField(a) if a == "a"
    ));
    assert!(matches!(
        refusal(json!([{"name": "a", "type": "Float", "primaryKey": true}])),
        SchemaError::BadPrimaryKeyType { field, data_type: "Float" } if field == "a"
    ));
    assert!(matches!(
        refusal(json!([
            {"name": "a", "type": "Int64", "primaryKey": true},
            {"name": "$meta", "type": "JSON"}
        ])),
        SchemaError::ReservedName(n) if n == "$meta"
    ));
    assert!(matches!(
        refusal(json!([
            {"name": "a", "type": "Int64", "primaryKey": true},
            {"name": "b", "type": "Int8", "defaultValue": 300}
        ])),
        SchemaError::BadDefault { field, reason: "out of Int8 range" } if field == "b"
    ));
    assert!(matches!(
        refusal(json!([
            {"name": "a", "type": "Int64", "primaryKey": true},
            {"name": "j", "type": "JSON", "defaultValue": "{}"}
        ])),
        SchemaError::BadDefault { field, .. } if field == "j"
    ));
    let e = Schema::from_json_value(
        &json!({"fields": [{"name": "a", "type": "Int64", "primaryKey": true}],
        "functions": [{"name": "f", "outputFieldNames": ["nope"]}]}),
    )
    .unwrap_err();
    assert!(
        matches!(e, SchemaError::UnknownFunctionOutput { function, field } if function == "f" && field == "nope")
    );
    assert!(matches!(
        Schema::from_json("[1]").unwrap_err(),
        SchemaError::Shape(_)
    ));
    assert!(matches!(
        Schema::from_json("{").unwrap_err(),
        SchemaError::Json(_)
    ));
}

#[test]
fn builder_checks_the_same_rules() {
    let schema = Schema::builder()
        .field(Field::new("id", DataType::VarChar { max_length: 36 }).primary_key())
        .field(Field::new(
            "v",
            DataType::BinaryVector {
                dim: BinaryDim::new(64).unwrap(),
            },
        ))
        .field(
            Field::new("n", DataType::Int16)
                .nullable()
                .default_value(DefaultValue::Int(-1)),
        )
        .dynamic_field(true)
        .build()
        .unwrap();
    assert_eq!(schema.fields().len(), 3);
    assert!(matches!(
        BinaryDim::new(7),
        Err(SchemaError::BadDim {
            dim: 7,
            binary: true
        })
    ));
    assert!(matches!(
        Dim::new(0),
        Err(SchemaError::BadDim {
            dim: 0,
            binary: false
        })
    ));
    let e = Schema::builder()
        .field(Field::new("id", DataType::Int64).primary_key().nullable())
        .build()
        .unwrap_err();
    assert!(matches!(e, SchemaError::NullablePrimaryKey(f) if f == "id"));
    let e = Schema::builder()
        .field(Field::new("id", DataType::Int64).primary_key())
        .field(Field::new("x", DataType::Int64).auto_id())
        .build()
        .unwrap_err();
    assert!(matches!(e, SchemaError::AutoIdNotPrimary(f) if f == "x"));
}
