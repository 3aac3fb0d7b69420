//! Which target the flags name (a cluster, a project, or Milvus), and the
//! wrong mixes of target and source flags that clap's own rules cannot
//! refuse.

use zilliz_import::Target;

use crate::args::{Command, TargetArgs};

/// Where each flag came from, when the environment could have set it.
#[derive(Clone, Copy)]
pub struct FromEnv {
    pub cluster_id: bool,
    pub storage_keys: bool,
}

/// A wrong mix of target and source flags, refused before anything is sent
/// (exit code 2): what clap's own rules cannot say. A cluster id from
/// ZILLIZ_CLUSTER_ID gives way to a target named on the command line (a
/// project, or Milvus files), so the variable can stay set.
pub fn check_mix(command: &mut Command, env: FromEnv) -> Result<(), String> {
    let (target, files) = match command {
        Command::Create(a) => (
            &mut a.target,
            !a.file.is_empty() || !a.file_group.is_empty(),
        ),
        Command::Describe { target, .. }
        | Command::Wait { target, .. }
        | Command::Commit { target, .. }
        | Command::Abort { target, .. } => (target, false),
        Command::List(a) => (&mut a.target, false),
        Command::Load(a) => (&mut a.target, false),
        Command::Emulator(_) | Command::Write(_) | Command::Volume { .. } | Command::Upload(_) => {
            return Ok(());
        }
    };
    if env.cluster_id && (target.project_id.is_some() || files) {
        target.cluster_id = None;
    }
    if target.cluster_id.is_some() && target.project_id.is_some() {
        return Err("--cluster-id and --project-id name two targets; give one".into());
    }
    let cloud = target.cluster_id.is_some() || target.project_id.is_some();
    if let Command::Load(args) = command {
        let (ak, sk) = (args.access_key.is_some(), args.secret_key.is_some());
        if (ak || sk) && !env.storage_keys {
            if !(cloud && args.storage.place.to.is_some()) {
                return Err(
                    "--access-key and --secret-key go with --to on the Zilliz Cloud \
                            control plane (--cluster-id, or --project-id with --region-id)"
                        .into(),
                );
            }
            if ak != sk {
                return Err("--access-key and --secret-key go together; give both".into());
            }
        }
    }
    let Command::Create(args) = command else {
        return Ok(());
    };
    if files && cloud {
        return Err(
            "--file and --file-group are for open-source Milvus, which takes no \
             --cluster-id or --project-id"
                .into(),
        );
    }
    if !files && !cloud {
        return Err(
            "--object-url and --volume go to the Zilliz Cloud control plane: \
             give --cluster-id, or --project-id with --region-id"
                .into(),
        );
    }
    let auto_commit = zilliz_import::option_keys::AUTO_COMMIT;
    if args.no_auto_commit && args.options.iter().any(|(key, _)| key == auto_commit) {
        return Err(format!(
            "--no-auto-commit and --option {auto_commit}=... both set {auto_commit}; give one"
        ));
    }
    let keys = args.access_key.is_some() || args.secret_key.is_some();
    if keys && args.object_url.is_empty() && !env.storage_keys {
        return Err("--access-key and --secret-key go with --object-url".into());
    }
    Ok(())
}

impl TargetArgs {
    /// The target the flags name; [`check_mix`] has refused two.
    pub fn target(&self) -> Target {
        let target = match (&self.cluster_id, &self.project_id, &self.region_id) {
            (Some(cluster), _, _) => Target::cluster(cluster),
            (None, Some(project), Some(region)) => Target::project(project, region),
            _ => Target::milvus(),
        };
        match &self.db {
            Some(db) => target.database(db),
            None => target,
        }
    }
}
