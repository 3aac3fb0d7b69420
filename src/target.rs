//! Where import jobs run: the three deployments that serve
//! `/v2/vectordb/jobs/import/*`, and the database within them.
//!
//! The Zilliz Cloud control plane names the cluster in every body
//! (`clusterId`), or a serverless project (`projectId` with `regionId`).
//! Open-source Milvus names nothing: its URL is the cluster. Each operation
//! takes a [`Target`], so describe, list, wait and the page stream work the
//! same on all three; a `&str` is a cluster id, as it always was.

use crate::{Error, checks::not_blank_if_set, generated::types, limits};

/// A target on the Zilliz Cloud control plane: what object URLs and volumes
/// import into (open-source Milvus reads neither).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloudTarget {
    /// A cluster (`clusterId`).
    Cluster {
        /// The cluster's id, such as `in01-0123456789abcdef`.
        cluster_id: String,
    },
    /// A serverless or on-demand project (`projectId` and `regionId`).
    Project {
        /// The project's id, such as `proj-0123456789abcdef`.
        project_id: String,
        /// Its cloud region, such as `aws-us-west-2`.
        region_id: String,
    },
}

impl CloudTarget {
    /// A cluster on the control plane.
    pub fn cluster(cluster_id: impl Into<String>) -> Self {
        CloudTarget::Cluster {
            cluster_id: cluster_id.into(),
        }
    }

    /// A serverless project on the control plane.
    pub fn project(project_id: impl Into<String>, region_id: impl Into<String>) -> Self {
        CloudTarget::Project {
            project_id: project_id.into(),
            region_id: region_id.into(),
        }
    }
}

/// A cluster id (a `&str`, a `String`).
impl<S: Into<String>> From<S> for CloudTarget {
    fn from(cluster_id: S) -> Self {
        CloudTarget::cluster(cluster_id)
    }
}

/// Where jobs run (a control-plane cluster or project, or an open-source
/// Milvus), and optionally in which database.
///
/// ```
/// use zilliz_import::Target;
/// let cluster = Target::cluster("in01-0123456789abcdef");
/// let project = Target::project("proj-0123456789abcdef", "aws-us-west-2");
/// let milvus = Target::milvus().database("analytics");
/// assert!(milvus.is_milvus() && !project.is_milvus() && !cluster.is_milvus());
/// assert_eq!(milvus.database_name(), Some("analytics"));
/// ```
///
/// A bare string is no target, so a job id and a target given in the wrong
/// order do not compile:
///
/// ```compile_fail
/// # async fn run(client: zilliz_import::Client) {
/// client.describe_import_job("448707763884413158", "in01-0123456789abcdef").await;
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    cloud: Option<CloudTarget>,
    database: Option<String>,
}

impl Target {
    /// A cluster on the Zilliz Cloud control plane (`clusterId`).
    pub fn cluster(cluster_id: impl Into<String>) -> Self {
        CloudTarget::cluster(cluster_id).into()
    }

    /// A serverless project on the control plane (`projectId`, `regionId`).
    pub fn project(project_id: impl Into<String>, region_id: impl Into<String>) -> Self {
        CloudTarget::project(project_id, region_id).into()
    }

    /// An open-source Milvus: the client's base URL is the cluster, and
    /// nothing in the body names it.
    pub fn milvus() -> Self {
        Target {
            cloud: None,
            database: None,
        }
    }

    /// The database (`dbName`, and the `DB-Name` header, which Milvus checks
    /// privileges against and reads for describe).
    pub fn database(mut self, name: impl Into<String>) -> Self {
        self.database = Some(name.into());
        self
    }

    /// The control-plane target, or `None` for Milvus.
    pub fn cloud(&self) -> Option<&CloudTarget> {
        self.cloud.as_ref()
    }

    /// Whether this is an open-source Milvus.
    pub fn is_milvus(&self) -> bool {
        self.cloud.is_none()
    }

    /// The database, if one is named.
    pub fn database_name(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The most file groups one create may name here.
    pub fn max_file_groups(&self) -> usize {
        match self.cloud {
            Some(_) => limits::MAX_FILE_GROUPS_CLOUD,
            None => limits::MAX_FILE_GROUPS_MILVUS,
        }
    }

    /// The deployment, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self.cloud {
            Some(CloudTarget::Cluster { .. }) => "a cluster",
            Some(CloudTarget::Project { .. }) => "a project",
            None => "open-source Milvus",
        }
    }

    /// Every id must be there and not blank; a database, if named, too.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        self.validate_ids()?;
        self.validate_database()
    }

    pub(crate) fn validate_ids(&self) -> Result<(), Error> {
        for (field, id) in self.ids() {
            not_blank_if_set(field, id)?;
        }
        Ok(())
    }

    pub(crate) fn validate_database(&self) -> Result<(), Error> {
        not_blank_if_set("dbName", self.database.as_deref())
    }

    /// `clusterId`, `projectId` and `regionId`, each with its value here.
    fn ids(&self) -> [(&'static str, Option<&str>); 3] {
        let (cluster, project, region) = match &self.cloud {
            Some(CloudTarget::Cluster { cluster_id }) => (Some(cluster_id.as_str()), None, None),
            Some(CloudTarget::Project {
                project_id,
                region_id,
            }) => (None, Some(project_id.as_str()), Some(region_id.as_str())),
            None => (None, None, None),
        };
        [
            ("clusterId", cluster),
            ("projectId", project),
            ("regionId", region),
        ]
    }

    /// `clusterId`, `projectId` and `regionId` as the body carries them.
    pub(crate) fn body_ids(&self) -> BodyIds {
        let [cluster_id, project_id, region_id] = self.ids().map(|(_, id)| id.map(str::to_owned));
        BodyIds {
            cluster_id,
            project_id,
            region_id,
        }
    }

    /// The body that names one job here, for describe, commit and abort:
    /// its id and the target's ids, and `dbName` on the control plane.
    /// Milvus reads the database from the `DB-Name` header alone, so its
    /// body is `{jobId}`.
    pub(crate) fn job_reference(&self, job_id: &str) -> types::builder::DescribeImportJobRequest {
        let ids = self.body_ids();
        let db_name = self.database.clone().filter(|_| !self.is_milvus());
        types::DescribeImportJobRequest::builder()
            .job_id(job_id)
            .cluster_id(ids.cluster_id)
            .project_id(ids.project_id)
            .region_id(ids.region_id)
            .db_name(db_name)
    }
}

/// The body fields that name a control-plane target; all `None` on Milvus.
pub(crate) struct BodyIds {
    pub(crate) cluster_id: Option<String>,
    pub(crate) project_id: Option<String>,
    pub(crate) region_id: Option<String>,
}

impl From<CloudTarget> for Target {
    fn from(cloud: CloudTarget) -> Self {
        Target {
            cloud: Some(cloud),
            database: None,
        }
    }
}
