//! The service's error answer, shared by every action. Its own file so that the actions and the
//! catalogue can name it without depending on the server (`mod.rs`), which dispatches to them (no
//! file-level import cycle; checked by `tests/it/layering.rs`).

/// An error answer of the service.
#[derive(Debug, Clone)]
pub struct ServiceError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ServiceError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> ServiceError {
        ServiceError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }
}
