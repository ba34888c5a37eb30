//! A catalogue file or state log that cannot be read or written. Its own file so that the state
//! log (`state.rs`) can return it without depending on the catalogue that uses the log (no
//! file-level import cycle; checked by `tests/it/layering.rs`).

#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct CatalogError {
    pub path: String,
    pub reason: String,
}
