//! The service's error codes this crate acts on, written once for the
//! client (which errors end a wait), the emulator (what it answers) and the
//! CLI. The meanings are those of `../shared/reference/zilliz-import-api.md`
//! and `import-api-deployments.md`; codes marked v1 come from the older API.

/// Open-source Milvus: not authenticated (HTTP 401).
pub const MILVUS_UNAUTHENTICATED: i64 = 1800;
/// Open-source Milvus: the import failed, or cannot start (too many file
/// groups, several files in a single-file group); also what describe
/// answers for a job that does not exist.
pub const MILVUS_IMPORT_FAILED: i64 = 2100;
/// The job does not exist.
pub const JOB_NOT_FOUND: i64 = 96026;

/// Whether a describe answered with this code can never succeed as made:
/// the credentials are refused, or what it names does not exist (open-source
/// Milvus answers an unknown job id with 2100, and a malformed request with
/// 1100, 1801 or 1802). Waiting on such a job would only repeat the failure.
pub fn is_permanent(code: i64) -> bool {
    matches!(
        code,
        MILVUS_UNAUTHENTICATED | MILVUS_IMPORT_FAILED | JOB_NOT_FOUND
            // The API key is illegal (HTTP 401).
            | 21119
            // Open-source Milvus: invalid parameter; the body is not JSON or
            // a value has the wrong JSON type; a required field is missing.
            | 1100 | 1801 | 1802
            // v1: illegal token, invalid token, invalid cluster id or no
            // permission on it, unknown job id.
            | 80001 | 80002 | 80020 | 90144
            // The cluster does not exist; `clusterId` is empty or invalid.
            | 96018 | 96025 | 96036
            // The API key lacks permission for the resource.
            | 96012..=96016 | 96027
    )
}
