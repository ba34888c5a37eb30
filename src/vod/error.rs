//! API errors as the service reports them (Code, Message, RequestId, HTTP status), sorted into
//! the few kinds that decide what vodplan does next: retry, slow down, stop, or treat as gone.

use std::fmt;
use std::sync::Arc;
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
    /// The error behind it, when there is one that shows no secret (see [`ApiErrorSource`]).
    pub source: Option<Arc<ApiErrorSource>>,
}

/// The errors an [`ApiError`] keeps as its source: only those that cannot show a secret. A
/// failed request keeps none: the HTTP client's errors carry the signed URL (with a V1
/// signature and security token in its query), and the service's words are redacted; only
/// their redacted text is kept, in `message`.
#[derive(Debug, thiserror::Error)]
pub enum ApiErrorSource {
    /// Credentials could not be had; it names providers, variables and files, never a value.
    #[error(transparent)]
    Credentials(#[from] super::credentials::CredentialError),
    /// The HTTP client could not be set up (before any request, so without a URL).
    #[error(transparent)]
    Client(#[from] reqwest::Error),
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
            source: None,
        }
    }

    /// Credentials could not be had (or renewed): stops the run like any authentication error.
    pub fn credentials(action: &'static str, e: super::credentials::CredentialError) -> ApiError {
        ApiError {
            action,
            kind: ApiErrorKind::Auth,
            status: None,
            code: "CredentialsUnavailable".into(),
            message: e.to_string(),
            request_id: None,
            retry_after: None,
            source: Some(Arc::new(ApiErrorSource::Credentials(e))),
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
            source: None,
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

/// Names (of query parameters, headers, JSON or INI keys) whose values are secrets or sign them:
/// the value is cut wherever one is echoed. Matched without regard to case: a proxy may echo
/// `X-Acs-Security-Token` in Title-Case, a V1 query says `SecurityToken`, a config says
/// `access_key_secret`.
const SECRET_NAMES: [&str; 9] = [
    "securitytoken",
    "signature",
    "accesskeysecret",
    "oidctoken",
    "x-acs-security-token",
    "access_key_secret",
    "sts_token",
    "security_token",
    "x-acs-signature",
];

/// What may sit between a secret's name and its value.
const SEPARATORS: [&str; 9] = [
    "=",
    "%3d",
    "%253d",
    "\":\"",
    "\": \"",
    ": ",
    ":",
    "\\\":\\\"",
    "=\"",
];

/// The shortest run of a secret's characters that is cut wherever it appears, even alone.
pub const FRAGMENT: usize = 16;

/// `text` with every secret part replaced by `***`: the value of every [`SECRET_NAMES`] entry
/// (`Name=value`, percent-encoded as in a V1 string to sign `Name%3Dvalue`, JSON `"Name":"value"`,
/// a header line `Name: value`), every one of `secrets` (also percent-encoded, once or twice), and
/// every run of [`FRAGMENT`] or more characters of one of them (a page that cut a token in the
/// middle still leaks the rest). Used on everything a server or a proxy echoes back (a 502 page
/// quoting the request, a string to sign) before it reaches an error, a JSON document or a journal.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let bytes = text.as_bytes();
    let mut cut: Vec<(usize, usize)> = Vec::new();
    let mut forms: Vec<String> = Vec::new();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        let once = crate::vod::encode::percent(s);
        let twice = crate::vod::encode::percent(&once);
        forms.push(s.to_string());
        if once != *s {
            forms.push(once);
            forms.push(twice);
        }
    }
    for form in &forms {
        let mut from = 0;
        while let Some(i) = text[from..].find(form.as_str()) {
            cut.push((from + i, from + i + form.len()));
            from += i + form.len();
        }
    }
    // Every FRAGMENT-byte window of every form, then every place of the text one starts at.
    let windows: std::collections::HashSet<&[u8]> = forms
        .iter()
        .filter(|f| f.len() >= FRAGMENT)
        .flat_map(|f| f.as_bytes().windows(FRAGMENT))
        .collect();
    if !windows.is_empty() && bytes.len() >= FRAGMENT {
        for (i, w) in bytes.windows(FRAGMENT).enumerate() {
            if windows.contains(w) {
                cut.push((i, i + FRAGMENT));
            }
        }
    }
    let lower = text.to_ascii_lowercase();
    for name in SECRET_NAMES {
        for sep in SEPARATORS {
            let needle = format!("{name}{sep}");
            let mut from = 0;
            while let Some(i) = lower[from..].find(&needle) {
                let start = from + i + needle.len();
                let end = lower[start..]
                    .find(|c: char| {
                        matches!(c, '&' | '"' | '\'' | '<' | ',' | ';' | '\\') || c.is_whitespace()
                    })
                    .map_or(lower.len(), |e| start + e);
                // A following `%26` (an encoded `&`) also ends the value.
                let end = lower[start..end].find("%26").map_or(end, |e| start + e);
                if end > start {
                    cut.push((start, end));
                }
                from = start;
            }
        }
    }
    if cut.is_empty() {
        return text.to_string();
    }
    cut.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut i = 0;
    while i < cut.len() {
        let (mut start, mut end) = cut[i];
        i += 1;
        while i < cut.len() && cut[i].0 <= end {
            end = end.max(cut[i].1);
            i += 1;
        }
        start = start.max(at);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        while !text.is_char_boundary(end) {
            end += 1;
        }
        if start < at {
            start = at;
        }
        out.push_str(&text[at..start]);
        if !out.ends_with("***") || start > at {
            out.push_str("***");
        }
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// At most this many characters of a body that is not the service's JSON are shown.
pub const EXCERPT_CHARS: usize = 300;

/// A body that is not the service's JSON (a proxy's or a WAF's page), as it may be shown:
/// redacted whole first (so a cut can never split a secret and keep its head), then cut to
/// [`EXCERPT_CHARS`] characters. Only the first 64 KiB are looked at.
pub fn excerpt(body: &[u8], secrets: &[&str]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 << 10)]);
    let clean = redact(&text, secrets);
    match clean.char_indices().nth(EXCERPT_CHARS) {
        Some((i, _)) => format!("{}...", &clean[..i]),
        None => clean,
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

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

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
    fn names_match_in_any_case_and_fragments_of_a_secret_are_cut_alone() {
        let token = "CAISabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGH";
        let page = format!(
            "X-Acs-Security-Token: {token}\nsecuritytoken={}\nAuthorization: ACS3-HMAC-SHA256 Credential=AK,Signature=deadbeef\n...cut here: {}",
            &token[..20],
            &token[30..]
        );
        let out = redact(&page, &[token]);
        assert_eq!(
            out,
            "X-Acs-Security-Token: ***\nsecuritytoken=***\nAuthorization: ACS3-HMAC-SHA256 Credential=AK,Signature=***\n...cut here: ***"
        );
        // A fragment shorter than FRAGMENT, alone, is not a secret's.
        assert_eq!(redact("CAISabcdef", &[token]), "CAISabcdef");
        // Cut after redaction: never a secret's head.
        let body = format!("{}{token}", "x".repeat(290));
        let shown = excerpt(body.as_bytes(), &[token]);
        assert_eq!(shown, format!("{}***", "x".repeat(290)));
    }

    proptest::proptest! {
        /// Whatever surrounds it, however it is cut, no run of FRAGMENT characters of a secret
        /// survives redaction, as written or percent-encoded.
        #[test]
        fn no_fragment_of_a_secret_survives(
            secret in "[A-Za-z0-9+/=]{16,120}",
            before in "[ -~]{0,40}",
            after in "[ -~]{0,40}",
            cut in 0usize..120,
            len in 16usize..120,
            encode in proptest::bool::ANY,
        ) {
            let start = cut.min(secret.len() - 16);
            let end = (start + len).min(secret.len());
            let piece = &secret[start..end];
            let piece = if encode { crate::vod::encode::percent(piece) } else { piece.to_string() };
            let text = format!("{before}{piece}{after}");
            let out = redact(&text, &[&secret]);
            for form in [secret.clone(), crate::vod::encode::percent(&secret)] {
                for w in form.as_bytes().windows(FRAGMENT) {
                    let w = std::str::from_utf8(w).unwrap();
                    proptest::prop_assert!(!out.contains(w), "{w} in {out} (from {text})");
                }
            }
        }
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

    #[test]
    fn credentials_keep_their_cause_and_a_failed_request_keeps_none() {
        use std::error::Error as _;
        let unreadable = crate::vod::credentials::CredentialError::Read {
            provider: "credentials file".into(),
            path: "/c".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        let e = ApiError::credentials("GetVideoInfos", unreadable);
        let mut chain = Vec::new();
        let mut next = e.source();
        while let Some(s) = next {
            chain.push(s.to_string());
            next = s.source();
        }
        assert_eq!(
            chain,
            [
                "credentials file: cannot read /c: permission denied",
                "permission denied"
            ]
        );
        assert!(e.to_string().ends_with(&chain[0]), "{e}");
        // A request's error is kept as redacted text only: its source would show the signed URL.
        assert!(
            ApiError::network("DeleteVideo", "reset".into())
                .source()
                .is_none()
        );
    }
}
