//! `vodplan demo`: the whole flow, plan then apply of a saved plan, against a built-in emulator
//! seeded with the examples; no credentials needed.

use std::path::{Path, PathBuf};

use vod_emulator::{self as emulator, EmulatorConfig};
use vodplan::vod::Credentials;
use vodplan::vod::credentials::Secret;

use super::args::GuardArgs;
use super::context::Session;
use super::emulator::load_catalog;
use super::exit::{Exit, Failure, Kind};
use super::output::Output;

/// The bundled example catalogue and manifest, so that `demo` works from any directory.
const EXAMPLE_CATALOG: &str = include_str!("../../examples/catalog.yaml");
const EXAMPLE_MANIFEST: &str = include_str!("../../examples/manifests/cleanup.yaml");

pub async fn demo(
    global: &super::args::GlobalArgs,
    out: &Output,
    manifests: &[PathBuf],
    catalog: Option<&PathBuf>,
) -> Result<Exit, Failure> {
    let dir = tempfile::tempdir().map_err(|e| Failure::of(Kind::Input, e))?;
    // From a checkout, use the repository's examples (so the plan names examples/manifests/cleanup.yaml);
    // anywhere else, the bundled copies.
    let local_catalog = Path::new("examples/catalog.yaml");
    let local_manifest = Path::new("examples/manifests/cleanup.yaml");
    let catalog = match catalog {
        Some(c) => load_catalog(c)?,
        None if local_catalog.is_file() => load_catalog(local_catalog)?,
        None => {
            let path = dir.path().join("catalog.yaml");
            std::fs::write(&path, EXAMPLE_CATALOG).map_err(|e| Failure::of(Kind::Input, e))?;
            load_catalog(&path)?
        }
    };
    let manifests = if manifests.is_empty() && local_manifest.is_file() {
        vec![local_manifest.to_path_buf()]
    } else if manifests.is_empty() {
        let path = dir.path().join("cleanup.yaml");
        std::fs::write(&path, EXAMPLE_MANIFEST).map_err(|e| Failure::of(Kind::Input, e))?;
        // Work inside the temporary directory, so that what is shown names `cleanup.yaml` and
        // `plan.json`, not paths in a directory that is gone when the demo ends.
        std::env::set_current_dir(dir.path()).map_err(|e| Failure::of(Kind::Input, e))?;
        vec![PathBuf::from("cleanup.yaml")]
    } else {
        manifests.to_vec()
    };
    let running = emulator::start(
        "127.0.0.1:0".parse().expect("valid address"),
        catalog,
        EmulatorConfig::default(),
    )
    .await
    .map_err(|e| {
        Failure::new(Kind::Input, format!("cannot start the emulator: {e}")).caused_by(e)
    })?;
    let mut global = global.clone();
    global.endpoint = Some(running.endpoint());
    let session = Session {
        global,
        credentials: Some(Credentials {
            access_key_id: "testid".into(),
            access_key_secret: Secret::new("testsecret"),
            security_token: None,
            source: "the demo emulator's test key".into(),
        }),
    };
    eprintln!(
        "Demo: a VOD API emulator is serving the example catalogue at {}.\n",
        running.endpoint()
    );
    eprintln!(
        "== vodplan plan {}\n",
        manifests
            .iter()
            .map(|m| m.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let inside = std::env::current_dir().is_ok_and(|d| d == dir.path());
    let plan_path = if inside {
        PathBuf::from("plan.json")
    } else {
        dir.path().join("plan.json")
    };
    super::plan::run(
        &session,
        out,
        &manifests,
        Some(&plan_path),
        false,
        &GuardArgs::default(),
        &Default::default(),
    )
    .await?;
    eprintln!("\n== vodplan apply plan.json   (the saved plan is the approval)\n");
    let result = super::apply::run(
        &session,
        out,
        &super::apply::Request {
            targets: &[plan_path],
            auto_approve: true,
            journal: None,
            manifests: &manifests,
            guards: &GuardArgs::default(),
            show_plan: false,
        },
    )
    .await;
    running.stop().await;
    result
}
