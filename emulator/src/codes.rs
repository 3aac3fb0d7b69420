//! The envelope codes the emulator answers with, as the services use them.
//!
//! Control-plane codes are those of the table "Error codes seen in the
//! docs" in `../shared/reference/zilliz-import-api.md` (v1 marks a code of
//! the older API); Milvus codes are those of "Operations on Milvus" in
//! `../shared/reference/import-api-deployments.md` and of the open-source
//! server's `merr` package, which that file was read from.

/// Control plane: the API key is illegal, answered with HTTP 401
/// (`zilliz-import-api.md`, "The envelope").
pub(crate) const ILLEGAL_API_KEY: i64 = 21119;
/// Control plane: a parameter is wrong.
pub(crate) const BAD_PARAMETER: i64 = 80000;
/// Control plane: the cluster is busy with another import, retry later
/// (v1); the emulator answers it when its unfinished jobs leave no room.
pub(crate) const CLUSTER_BUSY: i64 = 47055;
/// Control plane: `pageSize` out of range.
pub(crate) const PAGE_SIZE_OUT_OF_RANGE: i64 = 96008;
/// Control plane: `currentPage` out of range.
pub(crate) const CURRENT_PAGE_OUT_OF_RANGE: i64 = 96009;
/// Control plane: the cluster does not exist.
pub(crate) const CLUSTER_NOT_FOUND: i64 = 96018;
/// Control plane: `clusterId` is empty.
pub(crate) const CLUSTER_ID_EMPTY: i64 = 96025;
/// Control plane: the job does not exist.
pub(crate) const JOB_NOT_FOUND: i64 = 96026;

/// Milvus: not authenticated, answered with HTTP 401.
pub(crate) const MILVUS_UNAUTHENTICATED: i64 = 1800;
/// Milvus: invalid parameter (also an invalid `Idempotency-Key`).
pub(crate) const MILVUS_INVALID_PARAMETER: i64 = 1100;
/// Milvus: the body is not JSON, or a value has the wrong JSON type
/// (`can only accept json format request`).
pub(crate) const MILVUS_INCORRECT_PARAMETER_FORMAT: i64 = 1801;
/// Milvus: a field its request binding marks required is missing.
pub(crate) const MILVUS_MISSING_PARAMETERS: i64 = 1802;
/// Milvus: the collection does not exist (`merr.ErrCollectionNotFound`);
/// describe says `can't find collection[database=DB][collection=NAME]`.
pub(crate) const MILVUS_COLLECTION_NOT_FOUND: i64 = 100;
/// Milvus: the database does not exist (`merr.ErrDatabaseNotFound`).
pub(crate) const MILVUS_DATABASE_NOT_FOUND: i64 = 800;
/// Milvus: the import failed or cannot start (too many file groups, a
/// group of several single-file-format files); also describe's answer for
/// a job that does not exist, and a refused commit or abort.
pub(crate) const MILVUS_IMPORT_FAILED: i64 = 2100;
