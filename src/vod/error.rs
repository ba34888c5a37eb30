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

    /// Credentials could not be had (or renewed): stops the run like any authentication error.
    pub fn credentials(action: &'static str, e: &super::credentials::CredentialError) -> ApiError {
        ApiError {
            action,
            kind: ApiErrorKind::Auth,
            status: None,
            code: "CredentialsUnavailable".into(),
            message: e.to_string(),
            request_id: None,
            retry_after: None,
        }
    }

    /// Whether the service refused the call because its security token expired, which renewed
    /// credentials fix.
    pub fn is_expired_token(&self) -> bool {
        matches!(
            self.code.as_str(),
            "InvalidSecurityToken.Expired" | "SecurityTokenExpired" | "InvalidAccessKeyId.Expired"
        ) || (self.code.starts_with("InvalidSecurityToken") && self.message.contains("xpired"))
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
        None => redact(message, &[]),
    }
}

/// Query parameters whose values are secrets (or sign them): cut wherever echoed.
const SECRET_PARAMS: [&str; 5] = [
    "SecurityToken",
    "Signature",
    "AccessKeySecret",
    "OIDCToken",
    "x-acs-security-token",
];

/// `text` with the value of every [`SECRET_PARAMS`] parameter (`Name=value`, also percent-encoded
/// as in a V1 string to sign, `Name%3Dvalue`, or JSON `"Name":"value"`) and every one of
/// `secrets` replaced by `***`. Used on everything a server or a proxy echoes back (a 502 page
/// quoting the URL, a string to sign) before it reaches an error, a JSON document or a journal.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(s, "***");
        let encoded = crate::vod::encode::percent(s);
        if encoded != *s {
            out = out.replace(&encoded, "***");
            out = out.replace(&crate::vod::encode::percent(&encoded), "***");
        }
    }
    for name in SECRET_PARAMS {
        for sep in ["=", "%3D", "%253D", "\":\"", "\": \"", ": "] {
            let needle = format!("{name}{sep}");
            let mut from = 0;
            while let Some(i) = out[from..].find(&needle) {
                let start = from + i + needle.len();
                let end = out[start..]
                    .find(|c: char| {
                        c == '&' || c == '"' || c == '\'' || c == '<' || c.is_whitespace()
                    })
                    .map(|e| start + e);
                let end = end.unwrap_or(out.len());
                // A following `%26` (an encoded `&`) also ends the value.
                let end = out[start..end]
                    .find("%26")
                    .map(|e| start + e)
                    .unwrap_or(end);
                if end > start && &out[start..end] != "***" {
                    out.replace_range(start..end, "***");
                }
                from = start + 3.min(out.len() - start);
            }
        }
    }
    out
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

    #[test]
    fn redacts_secret_parameters_and_values_everywhere() {
        let page = "<html>502 Bad Gateway for /?AccessKeyId=AK&SecurityToken=CAIS%2Btok3n&Signature=abc%3D&X=1 \
            string to sign POST&%2F&SecurityToken%3DCAIStok3n%26Timestamp%3D1 \
            {\"OIDCToken\":\"eyJ.x.y\"} my-secret-value</html>";
        let out = redact(page, &["my-secret-value", "CAIS+tok3n"]);
        for leaked in ["tok3n", "abc", "eyJ", "my-secret-value"] {
            assert!(!out.contains(leaked), "{leaked} in {out}");
        }
        assert!(
            out.contains("AccessKeyId=AK&SecurityToken=***&Signature=***&X=1"),
            "{out}"
        );
        assert!(out.contains("SecurityToken%3D***%26Timestamp%3D1"), "{out}");
    }
}
