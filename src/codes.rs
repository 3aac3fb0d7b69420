//! The service's error codes this crate acts on, written once for the
//! client (which errors end a wait), the emulator (what it answers) and the
//! CLI. The meanings are those of `../shared/reference/zilliz-import-api.md`
//! and `import-api-deployments.md`; codes marked v1 come from the older API.

/// The API key is illegal (HTTP 401).
pub const ILLEGAL_API_KEY: i64 = 21119;
/// Open-source Milvus: not authenticated (HTTP 401).
pub const MILVUS_UNAUTHENTICATED: i64 = 1800;
/// Open-source Milvus: invalid parameter.
pub const MILVUS_INVALID_PARAMETER: i64 = 1100;
/// Open-source Milvus: the body is not JSON, or a value has the wrong JSON
/// type (`can only accept json format request`).
pub const MILVUS_INCORRECT_PARAMETER_FORMAT: i64 = 1801;
/// Open-source Milvus: a required body field (`collectionName`, `files`,
/// `jobId`) is missing.
pub const MILVUS_MISSING_PARAMETERS: i64 = 1802;
/// Open-source Milvus: the import failed, or cannot start (too many file
/// groups, several files in a single-file group); also what describe
/// answers for a job that does not exist.
pub const MILVUS_IMPORT_FAILED: i64 = 2100;
/// Illegal token (v1).
pub const ILLEGAL_TOKEN: i64 = 80001;
/// Invalid token (v1).
pub const INVALID_TOKEN: i64 = 80002;
/// Invalid cluster id or no permission on it (v1).
pub const INVALID_CLUSTER_OR_PERMISSION: i64 = 80020;
/// The API key lacks permission for the resource.
pub const NO_PERMISSION: [i64; 6] = [96012, 96013, 96014, 96015, 96016, 96027];
/// The cluster does not exist.
pub const CLUSTER_NOT_FOUND: i64 = 96018;
/// `clusterId` is empty.
pub const CLUSTER_ID_EMPTY: i64 = 96025;
/// The job does not exist.
pub const JOB_NOT_FOUND: i64 = 96026;
/// `clusterId` is invalid.
pub const CLUSTER_ID_INVALID: i64 = 96036;
/// The job id does not exist (v1).
pub const JOB_ID_NOT_FOUND_V1: i64 = 90144;

/// Whether a describe answered with this code can never succeed as made:
/// the credentials are refused, or what it names does not exist (open-source
/// Milvus answers an unknown job id with 2100, and a malformed request with
/// 1100, 1801 or 1802). Waiting on such a job would only repeat the failure.
pub fn is_permanent(code: i64) -> bool {
    matches!(
        code,
        ILLEGAL_API_KEY
            | MILVUS_UNAUTHENTICATED
            | MILVUS_INVALID_PARAMETER
            | MILVUS_INCORRECT_PARAMETER_FORMAT
            | MILVUS_MISSING_PARAMETERS
            | MILVUS_IMPORT_FAILED
            | ILLEGAL_TOKEN
            | INVALID_TOKEN
            | INVALID_CLUSTER_OR_PERMISSION
            | CLUSTER_NOT_FOUND
            | CLUSTER_ID_EMPTY
            | JOB_NOT_FOUND
            | CLUSTER_ID_INVALID
            | JOB_ID_NOT_FOUND_V1
    ) || NO_PERMISSION.contains(&code)
}
