//! `volume`: create, list, describe and delete the control plane's volumes,
//! the storage an import reads with `--volume` and `--data-path`.

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use zilliz_import::{Client, ListVolumes, NewVolume, Volume, VolumeType};

use crate::{
    ending::{Ended, Failure},
    output::Printer,
};

/// The volume subcommands.
#[derive(Debug, Subcommand)]
pub enum VolumeCommand {
    /// Create a volume in a project's region: MANAGED (the default), or
    /// EXTERNAL, a path in your own bucket through a storage integration.
    Create {
        /// The volume's name, unique in the project.
        name: String,
        /// The project's id.
        #[arg(long)]
        project_id: String,
        /// The project's cloud region, such as aws-us-west-2.
        #[arg(long)]
        region_id: String,
        /// The volume's type.
        #[arg(long = "type", value_enum, ignore_case = true, default_value_t = Kind::Managed)]
        kind: Kind,
        /// An EXTERNAL volume's storage integration (required for one).
        #[arg(long, required_if_eq("kind", "EXTERNAL"))]
        storage_integration_id: Option<String>,
        /// An EXTERNAL volume's folder in the bucket, ending with `/`.
        #[arg(long, requires = "storage_integration_id")]
        path: Option<String>,
    },
    /// List a project's volumes, a page at a time.
    List(VolumeListArgs),
    /// Show a volume.
    Describe {
        /// The volume's name.
        name: String,
    },
    /// Delete a volume and the files it holds.
    Delete {
        /// The volume's name.
        name: String,
    },
}

/// What `volume list` lists.
#[derive(Debug, Args)]
pub struct VolumeListArgs {
    /// The project's id.
    #[arg(long)]
    pub project_id: String,
    /// Only volumes of this type.
    #[arg(long = "type", value_enum, ignore_case = true)]
    pub kind: Option<Kind>,
    /// The page, from 1.
    #[arg(long, default_value_t = 1)]
    pub page: u32,
    /// Volumes per page, 1 to 100.
    #[arg(long, default_value_t = 10)]
    pub page_size: u32,
}

/// A volume's type, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    #[value(name = "MANAGED")]
    Managed,
    #[value(name = "EXTERNAL")]
    External,
}

impl From<Kind> for VolumeType {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Managed => VolumeType::Managed,
            Kind::External => VolumeType::External,
        }
    }
}

/// Runs one volume subcommand; with `--output json` its result is one
/// document on stdout.
pub async fn volume(
    client: &Client,
    command: VolumeCommand,
    printer: &Printer,
) -> Result<Ended, Failure> {
    let printed = match command {
        VolumeCommand::Create {
            name,
            project_id,
            region_id,
            kind,
            storage_integration_id,
            path,
        } => {
            let mut volume = match (kind, &storage_integration_id) {
                (Kind::External, Some(id)) => {
                    NewVolume::external(&project_id, &region_id, &name, id)
                }
                _ => NewVolume::managed(&project_id, &region_id, &name),
            };
            if let Some(path) = &path {
                volume = volume.path(path);
            }
            client.create_volume(&volume).await?;
            done(printer, "created", &name)
        }
        VolumeCommand::List(args) => {
            let mut request = ListVolumes::new(&args.project_id)
                .page(args.page)
                .page_size(args.page_size);
            if let Some(kind) = args.kind {
                request = request.kind(kind.into());
            }
            let page = client.list_volumes(&request).await?;
            if printer.is_json() {
                printer.json(&page)
            } else {
                let volumes = page.volumes.unwrap_or_default();
                let header = format!(
                    "{:<32} {:<9} {:<9} {:<16} CREATED",
                    "VOLUME", "TYPE", "STATUS", "REGION"
                );
                printer.out_all(std::iter::once(header).chain(volumes.iter().map(row)))
            }
        }
        VolumeCommand::Describe { name } => {
            let volume = client.describe_volume(&name).await?;
            if printer.is_json() {
                printer.json(&volume)
            } else {
                printer.out_all(described(&volume))
            }
        }
        VolumeCommand::Delete { name } => {
            client.delete_volume(&name).await?;
            done(printer, "deleted", &name)
        }
    };
    Ok(printed.into())
}

/// `created volume NAME`, or `{"volumeName": NAME, "created": true}`.
fn done(printer: &Printer, what: &str, name: &str) -> crate::ending::Printed {
    if printer.is_json() {
        printer.json(&json!({"volumeName": name, what: true}))
    } else {
        printer.line(&format!("{what} volume {name}"))
    }
}

fn row(v: &Volume) -> String {
    let text = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".to_owned());
    format!(
        "{:<32} {:<9} {:<9} {:<16} {}",
        text(&v.volume_name),
        text(&v.type_),
        text(&v.status),
        text(&v.region_id),
        text(&v.create_time)
    )
}

/// A volume as `key: value` lines, the ones it has.
fn described(v: &Volume) -> Vec<String> {
    [
        ("volume", &v.volume_name),
        ("type", &v.type_),
        ("status", &v.status),
        ("region", &v.region_id),
        ("storage integration", &v.storage_integration_id),
        ("path", &v.path),
        ("created", &v.create_time),
    ]
    .into_iter()
    .filter_map(|(key, value)| Some(format!("{key}: {}", value.as_deref()?)))
    .collect()
}
