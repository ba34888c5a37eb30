//! API errors as the service reports them (Code, Message, RequestId, HTTP status), sorted into
//! the few kinds that decide what vodplan does next: retry, slow down, stop, or treat as gone.

use std::fmt;
use std::time::Duration;

/// What an error means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// Flow control: slow down and try again.
    Throttled,
    /// The service or the network failed; the call may or may not have taken effect. Retry.
    Transient,
    /// Credentials, signature or permission: retrying cannot help.
    Auth,
    /// `InvalidVideo.NotFound`: none of the named videos exist.
    NotFound,
    /// The request itself is wrong: retrying cannot help.
    Invalid,
}

/// One failed API call.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub action: &'static str,
    pub kind: ApiErrorKind,
    /// HTTP status, or None when no response arrived.
    pub status: Option<u16>,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    /// `x-acs-retry-after`, when the service asked for a pause.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// Builds an error from a service response, classifying it.
    pub fn from_response(
        action: &'static str,
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
        retry_after: Option<Duration>,
    ) -> ApiError {
        let kind = classify(status, &code);
        ApiError {
            action,
            kind,
            status: Some(status),
            code,
            message: redact_message(&message),
            request_id,
            retry_after,
        }
    }

    /// An error with no response: connection refused, reset, timed out.
    pub fn network(action: &'static str, message: String) -> ApiError {
        ApiError {
            action,
            kind: ApiErrorKind::Transient,
            status: None,
            code: "NetworkError".into(),
            message,
            request_id: None,
            retry_after: None,
        }
    }
}

/// Sorts a service error by its code first, its HTTP status second.
pub fn classify(status: u16, code: &str) -> ApiErrorKind {
    if code.starts_with("Throttling") {
        return ApiErrorKind::Throttled;
    }
    if code == "InvalidVideo.NotFound" {
        return ApiErrorKind::NotFound;
    }
    if code.starts_with("Signature")
        || code.starts_with("InvalidAccessKeyId")
        || code.starts_with("InvalidAccessKeySecret")
        || code.starts_with("InvalidSecurityToken")
        || code.starts_with("IncompleteSignature")
        || code.starts_with("InvalidTimeStamp")
        || code.starts_with("Forbidden")
        || code.starts_with("OperationDenied")
        || code == "NoPermission"
    {
        return ApiErrorKind::Auth;
    }
    if matches!(
        code,
        "ServiceUnavailable" | "ServiceUnAvailable" | "InternalError" | "DeleteVideoFailed"
    ) || status >= 500
    {
        return ApiErrorKind::Transient;
    }
    match status {
        401 | 403 => ApiErrorKind::Auth,
        _ => ApiErrorKind::Invalid,
    }
}

/// A `SignatureDoesNotMatch` message ends with the server's string to sign, which for V1 holds
/// every parameter including an STS token; it is cut so that no token reaches a log.
fn redact_message(message: &str) -> String {
    match message.find("server string to sign is:") {
        Some(i) => format!("{}(the server's string to sign is omitted)", &message[..i]),
        None => message.to_string(),
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}: {}", self.action, self.code, self.message)?;
        match (&self.status, &self.request_id) {
            (Some(s), Some(r)) => write!(f, " (HTTP {s}, RequestId {r})"),
            (Some(s), None) => write!(f, " (HTTP {s})"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_code_then_status() {
        assert_eq!(classify(400, "Throttling.User"), ApiErrorKind::Throttled);
        assert_eq!(classify(503, "Throttling"), ApiErrorKind::Throttled);
        assert_eq!(
            classify(404, "InvalidVideo.NotFound"),
            ApiErrorKind::NotFound
        );
        assert_eq!(classify(400, "SignatureDoesNotMatch"), ApiErrorKind::Auth);
        assert_eq!(
            classify(404, "InvalidAccessKeyId.NotFound"),
            ApiErrorKind::Auth
        );
        assert_eq!(classify(403, "Forbidden.RAM"), ApiErrorKind::Auth);
        assert_eq!(classify(503, "DeleteVideoFailed"), ApiErrorKind::Transient);
        assert_eq!(classify(502, "Whatever"), ApiErrorKind::Transient);
        assert_eq!(classify(400, "VideoIdsExceededMax"), ApiErrorKind::Invalid);
    }

    #[test]
    fn cuts_the_echoed_string_to_sign() {
        let e = ApiError::from_response(
            "DeleteVideo",
            400,
            "SignatureDoesNotMatch".into(),
            "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&SecurityToken%3Dsecret".into(),
            Some("R1".into()),
            None,
        );
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(e.to_string().contains("(HTTP 400, RequestId R1)"), "{e}");
    }
}
