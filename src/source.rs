//! [`Source`]: where an import reads its files, one kind per deployment,
//! and [`Groups`], the shapes groups of paths are given in.

use std::fmt;

use crate::{
    Error, Target,
    checks::{check_groups, check_object_url, not_blank},
    redact::redact_url,
};

/// Where an import reads its files: one group per inner list (one file, or
/// a NumPy file per field).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// One object URL, as the seed page sends it (`objectUrl`): control plane.
    ObjectUrl(String),
    /// Object URLs in groups (`objectUrls`): control plane.
    ObjectUrls(Vec<Vec<String>>),
    /// Paths inside a volume (`volumeName`, `dataPaths`): control plane.
    Volume {
        /// The volume's name.
        name: String,
        /// Paths inside it, in groups.
        data_paths: Vec<Vec<String>>,
    },
    /// Paths in the bucket Milvus is configured with (`files`): open-source Milvus.
    Files(Vec<Vec<String>>),
}

/// Groups of paths or URLs, one inner list per group: arrays, vectors or
/// any iterators of strings.
pub trait Groups: IntoIterator<Item: IntoIterator<Item: Into<String>>> {}
impl<G: IntoIterator<Item: IntoIterator<Item: Into<String>>>> Groups for G {}

fn groups(groups: impl Groups) -> Vec<Vec<String>> {
    groups
        .into_iter()
        .map(|g| g.into_iter().map(Into::into).collect())
        .collect()
}

impl Source {
    /// Object URLs in groups.
    pub fn object_urls(groups_: impl Groups) -> Self {
        Source::ObjectUrls(groups(groups_))
    }

    /// Paths inside a volume, in groups.
    pub fn volume(name: impl Into<String>, data_paths: impl Groups) -> Self {
        Source::Volume {
            name: name.into(),
            data_paths: groups(data_paths),
        }
    }

    /// Milvus files, in groups.
    pub fn files(files: impl Groups) -> Self {
        Source::Files(groups(files))
    }

    /// The body field that carries it, for messages.
    pub(crate) fn field(&self) -> &'static str {
        match self {
            Source::ObjectUrl(_) => "objectUrl",
            Source::ObjectUrls(_) => "objectUrls",
            Source::Volume { .. } => "dataPaths",
            Source::Files(_) => "files",
        }
    }

    pub(crate) fn object_urls_iter(&self) -> impl Iterator<Item = &String> {
        let (one, many) = match self {
            Source::ObjectUrl(url) => (Some(url), None),
            Source::ObjectUrls(groups) => (None, Some(groups)),
            _ => (None, None),
        };
        one.into_iter().chain(many.into_iter().flatten().flatten())
    }

    /// Every group sound, and read by `target`; the number of groups.
    pub(crate) fn check(&self, target: &Target) -> Result<usize, Error> {
        match self {
            Source::Files(files) if target.is_milvus() => check_groups("files", files, |_| Ok(())),
            Source::Files(_) => Err(Error::invalid(
                "files",
                format!(
                    "files are read by open-source Milvus only; {} reads object URLs or a volume",
                    target.kind()
                ),
            )),
            _ if target.is_milvus() => Err(Error::invalid(
                self.field(),
                "open-source Milvus reads files from its own bucket, not object URLs or volumes",
            )),
            Source::Volume { name, data_paths } => {
                not_blank("volumeName", name)?;
                check_groups("dataPaths", data_paths, |_| Ok(()))
            }
            Source::ObjectUrl(url) => check_object_url("objectUrl", url).map(|()| 1),
            Source::ObjectUrls(groups) => {
                check_groups("objectUrls", groups, |u| check_object_url("objectUrls", u))
            }
        }
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let urls = |groups: &Vec<Vec<String>>| {
            groups
                .iter()
                .map(|g| g.iter().map(|u| redact_url(u)).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        match self {
            Source::ObjectUrl(url) => f.debug_tuple("ObjectUrl").field(&redact_url(url)).finish(),
            Source::ObjectUrls(groups) => f.debug_tuple("ObjectUrls").field(&urls(groups)).finish(),
            Source::Volume { name, data_paths } => f
                .debug_struct("Volume")
                .field("name", name)
                .field("data_paths", data_paths)
                .finish(),
            Source::Files(files) => f.debug_tuple("Files").field(files).finish(),
        }
    }
}
