//! `vodplan validate`: every manifest problem, offline.

use std::path::PathBuf;

use super::context::load_manifests;
use super::exit::{Exit, Failure};

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
