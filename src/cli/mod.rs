//! The command-line front end: parse (`args`), build (`context`), run one function per command,
//! and map the result to an exit code in one place (`exit`). Only this module touches the
//! terminal; the library returns values.

pub mod apply;
pub mod args;
pub mod context;
pub mod demo;
pub mod diff;
pub mod emulator;
pub mod exit;
pub mod output;
pub mod plan;
pub mod review;
pub mod schema;
pub mod show;
pub mod signals;
pub mod validate;

use args::{Cli, Command};
use context::Session;
use exit::{Exit, Failure};
use output::Output;

pub async fn run(cli: Cli) -> Result<Exit, Failure> {
    let out = Output::new(&cli.global);
    review::check_format(&cli.command, out.format)?;
    let session = Session {
        global: cli.global.clone(),
        credentials: None,
    };
    match &cli.command {
        Command::Validate { manifests } => validate::validate(manifests),
        Command::Plan {
            manifests,
            out: save,
            detailed_exitcode,
            guards,
            review,
        } => {
            plan::run(
                &session,
                &out,
                manifests,
                save.as_ref(),
                *detailed_exitcode,
                guards,
                review,
            )
            .await
        }
        Command::Apply {
            targets,
            auto_approve,
            journal,
            manifests,
            guards,
        } => {
            apply::run(
                &session,
                &out,
                &apply::Request {
                    targets,
                    auto_approve: *auto_approve,
                    journal: journal.as_ref(),
                    manifests,
                    guards,
                    show_plan: true,
                },
            )
            .await
        }
        Command::Show { plan, review } => show::show(&out, plan, review),
        Command::Diff { old, new } => diff::diff(&out, old, new),
        Command::Schema => schema::schema(),
        Command::Emulator(args) => emulator::emulator(args).await,
        Command::Demo { manifests, catalog } => {
            demo::demo(&cli.global, &out, manifests, catalog.as_ref()).await
        }
        Command::Completions { shell } => schema::completions(*shell),
    }
}
