//! The commands that need no API: validate, show, schema, completions, emulator, demo.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use vodplan::emulator::{self, Catalog, EmulatorConfig, Keys};
use vodplan::plan::file::PlanFile;
use vodplan::render::{self, PlanContext};
use vodplan::vod::Credentials;
use vodplan::vod::credentials::Secret;

use super::args::{Cli, EmulatorArgs, GuardArgs};
use super::context::{Session, load_manifests};
use super::exit::{Exit, Failure, Kind};
use super::output::Output;

pub fn validate(manifests: &[PathBuf]) -> Result<Exit, Failure> {
    let desired = load_manifests(manifests)?;
    println!(
        "Valid: {} file{}, {} delete entr{}, {} keep entr{}.",
        desired.files.len(),
        if desired.files.len() == 1 { "" } else { "s" },
        desired.delete.len(),
        if desired.delete.len() == 1 {
            "y"
        } else {
            "ies"
        },
        desired.keep.len(),
        if desired.keep.len() == 1 { "y" } else { "ies" },
    );
    Ok(Exit::Success)
}

pub fn show(out: &Output, path: &Path) -> Result<Exit, Failure> {
    let file = PlanFile::read(path).map_err(|e| Failure::new(Kind::Input, e.to_string()))?;
    let ctx = PlanContext {
        region: file.region.clone(),
        endpoint: file.endpoint.clone(),
    };
    out.print(&render::plan(&file.plan, &ctx, out.format, out.color));
    if out.format == render::Format::Text {
        println!(
            "Saved {} by vodplan {} from {} manifest file(s).",
            file.created_at,
            file.vodplan_version,
            file.manifests.len()
        );
    }
    Ok(Exit::Success)
}

pub fn schema() -> Result<Exit, Failure> {
    print!("{}", vodplan::manifest::schema::manifest_schema());
    Ok(Exit::Success)
}

pub fn completions(shell: clap_complete::Shell) -> Result<Exit, Failure> {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "vodplan",
        &mut std::io::stdout(),
    );
    Ok(Exit::Success)
}

fn load_catalog(path: &Path) -> Result<Catalog, Failure> {
    Catalog::load(path).map_err(|e| {
        Failure::new(Kind::Input, format!("cannot load the catalogue {e}")).hint(
            "see the catalogue format in the README (videos: [{videoId, title, status, ...}])",
        )
    })
}

pub async fn emulator(args: &EmulatorArgs) -> Result<Exit, Failure> {
    let mut catalog = load_catalog(&args.catalog)?;
    if let Some(state) = &args.state {
        catalog
            .attach_state(state)
            .map_err(|e| Failure::new(Kind::Input, format!("cannot use the state file {e}")))?;
    }
    let config = EmulatorConfig {
        keys: Keys {
            access_key_id: args.access_key_id.clone(),
            access_key_secret: args.access_key_secret.clone(),
            security_token: args.security_token.clone(),
        },
        delete_qps: args.qps,
        latency: std::time::Duration::from_millis(args.latency_ms),
        fault_rate: args.fault_rate,
        lost_reply_rate: args.lost_reply_rate,
        seed: args.seed,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| {
            Failure::new(
                Kind::Input,
                format!("cannot listen on {}: {e}", args.listen),
            )
            .hint("choose another --listen address or port")
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::new(Kind::Input, e.to_string()))?;
    eprintln!(
        "vodplan emulator listening on http://{addr} with {} videos (Ctrl-C to stop)",
        catalog.len()
    );
    emulator::serve(listener, catalog, config, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| Failure::new(Kind::Input, format!("the emulator stopped: {e}")))?;
    Ok(Exit::Success)
}

/// The bundled example catalogue and manifest, so that `demo` works from any directory.
const EXAMPLE_CATALOG: &str = include_str!("../../examples/catalog.yaml");
const EXAMPLE_MANIFEST: &str = include_str!("../../examples/manifests/cleanup.yaml");

pub async fn demo(
    global: &super::args::GlobalArgs,
    out: &Output,
    manifests: &[PathBuf],
    catalog: Option<&PathBuf>,
) -> Result<Exit, Failure> {
    let dir = tempfile::tempdir().map_err(|e| Failure::new(Kind::Input, e.to_string()))?;
    // From a checkout, use the repository's examples (so the plan names examples/manifests/cleanup.yaml);
    // anywhere else, the bundled copies.
    let local_catalog = Path::new("examples/catalog.yaml");
    let local_manifest = Path::new("examples/manifests/cleanup.yaml");
    let catalog = match catalog {
        Some(c) => load_catalog(c)?,
        None if local_catalog.is_file() => load_catalog(local_catalog)?,
        None => {
            let path = dir.path().join("catalog.yaml");
            std::fs::write(&path, EXAMPLE_CATALOG)
                .map_err(|e| Failure::new(Kind::Input, e.to_string()))?;
            load_catalog(&path)?
        }
    };
    let manifests = if manifests.is_empty() && local_manifest.is_file() {
        vec![local_manifest.to_path_buf()]
    } else if manifests.is_empty() {
        let path = dir.path().join("cleanup.yaml");
        std::fs::write(&path, EXAMPLE_MANIFEST)
            .map_err(|e| Failure::new(Kind::Input, e.to_string()))?;
        vec![path]
    } else {
        manifests.to_vec()
    };
    let running = emulator::start(
        "127.0.0.1:0".parse().expect("valid address"),
        catalog,
        EmulatorConfig::default(),
    )
    .await
    .map_err(|e| Failure::new(Kind::Input, format!("cannot start the emulator: {e}")))?;
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
    let plan_path = dir.path().join("plan.json");
    super::plan::run(
        &session,
        out,
        &manifests,
        Some(&plan_path),
        false,
        &GuardArgs::default(),
    )
    .await?;
    eprintln!("\n== vodplan apply plan.json   (the saved plan is the approval)\n");
    let result = super::apply::run(
        &session,
        out,
        &[plan_path],
        true,
        None,
        &GuardArgs::default(),
    )
    .await;
    running.stop().await;
    result
}
