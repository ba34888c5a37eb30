//! How a plan is shown for review: the flags of `plan` and `show` that shape the report
//! (`--max-chars`, `--full-report`, `--prices`, `--no-thumbnails`), and which commands take the
//! report formats.

use std::path::Path;

use vodplan::render::breakdown::Prices;
use vodplan::render::{Format, PlanContext};

use super::args::{Command, ReviewArgs};
use super::exit::{Failure, Kind, failures};

/// The plan's context with the review flags.
pub fn context(
    mut ctx: PlanContext,
    review: &ReviewArgs,
    plan_file: Option<&Path>,
) -> Result<PlanContext, Failure> {
    if let Some(path) = &review.prices {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::new(
                Kind::Input,
                format!("cannot read the prices file {}: {e}", path.display()),
            )
            .caused_by(e)
        })?;
        let prices = Prices::parse(&text, &path.display().to_string())
            .map_err(|e| Failure::of(Kind::Input, e))?;
        ctx.prices = Some(prices);
    }
    ctx.max_chars = review.max_chars.unwrap_or(0);
    ctx.full_report = review.full_report.clone();
    ctx.thumbnails = !review.no_thumbnails;
    ctx.plan_file = plan_file
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    Ok(ctx)
}

/// `--format csv` and `--format html` are reports of a plan: only `plan` and `show` make them.
pub fn check_format(command: &Command, format: Format) -> Result<(), Failure> {
    let report = matches!(format, Format::Csv | Format::Html);
    let takes = matches!(command, Command::Plan { .. } | Command::Show { .. });
    if report && !takes {
        return Err(failures::report_format_elsewhere());
    }
    Ok(())
}
