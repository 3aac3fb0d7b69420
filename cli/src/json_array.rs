//! A JSON document whose last member is a long array, such as
//! `{"count": 2, "records": [...]}`, written an element at a time, yet byte
//! for byte as serde_json's pretty printer writes the whole document when
//! it is held as a `Value` (keys sorted, two spaces a level): so a walk
//! over many pages, or a wait for many jobs, need not hold every element
//! as a value, nor the whole text, to print it.

use serde::Serialize;

/// An element's indentation: the document's members are at one level, the
/// array's elements at two.
const INDENT: &[u8] = b"    ";

/// The text before the elements: `{`, each of `fields` as `"key": TEXT`, then
/// `"array": [`. `fields` are (key, JSON text) pairs, in key order and
/// before `array` in it, as a `Value`'s sorted keys would print them.
pub fn open(fields: &[(&str, String)], array: &str) -> String {
    let mut text = String::from("{\n");
    for (key, value) in fields {
        text.push_str(&format!("  \"{key}\": {value},\n"));
    }
    text.push_str(&format!("  \"{array}\": ["));
    text
}

/// Appends `value` to `text` as the array's element after `before`
/// others: on a line of its own, after a comma but for the first,
/// pretty-printed as a `Value` (keys sorted), each line indented to its
/// place. JSON strings hold no raw newline, so every line break is the
/// printer's.
pub fn element(text: &mut Vec<u8>, before: u64, value: &impl Serialize) {
    text.extend_from_slice(if before == 0 { b"\n" } else { b",\n" });
    // Serialising the CLI's plain structs and values cannot fail.
    let value = serde_json::to_value(value).unwrap_or_default();
    let pretty = serde_json::to_vec_pretty(&value).unwrap_or_default();
    for (n, line) in pretty.split(|b| *b == b'\n').enumerate() {
        if n > 0 {
            text.push(b'\n');
        }
        text.extend_from_slice(INDENT);
        text.extend_from_slice(line);
    }
}

/// The text after `count` elements, to the end of the document's line.
pub fn close(count: u64) -> &'static str {
    if count == 0 { "]\n}\n" } else { "\n  ]\n}\n" }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// The document, element by element.
    fn streamed(fields: &[(&str, String)], array: &str, elements: &[Value]) -> String {
        let mut text = open(fields, array).into_bytes();
        for (n, e) in elements.iter().enumerate() {
            element(&mut text, n as u64, e);
        }
        text.extend_from_slice(close(elements.len() as u64).as_bytes());
        String::from_utf8(text).unwrap()
    }

    #[test]
    fn the_document_is_serde_jsons_pretty_one_byte_for_byte() {
        let odd = json!({"b": [1, {"c": []}, {}], "a": {"z": null, "y": "\t\n"}, "e": [[]]});
        let some = [
            json!({"jobId": "1", "progress": 5, "collectionName": null}),
            json!({"z": "é \u{202e} \"q\"", "a": 1.5}),
            odd,
            json!([]),
            json!("text"),
        ];
        for n in 0..=some.len() {
            let elements = &some[..n];
            let whole = json!({"count": n, "records": elements});
            let expected = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            let fields = [("count", n.to_string())];
            assert_eq!(streamed(&fields, "records", elements), expected, "{n}");
            let whole = json!({ "jobs": elements });
            let expected = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            assert_eq!(streamed(&[], "jobs", elements), expected, "{n}");
        }
    }
}
