//! The one timestamp format the VOD API speaks: UTC `yyyy-MM-ddTHH:mm:ssZ`.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// Formats as `2024-01-01T00:00:00Z` (UTC, whole seconds), as the API wants it.
pub fn format(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .expect("a UTC date always formats")
}

/// Parses an RFC 3339 timestamp (any offset; fractional seconds allowed).
pub fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// The current time formatted for the API.
pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_api_timestamps() {
        let t = parse("2024-01-01T08:00:00+08:00").unwrap();
        assert_eq!(format(t), "2024-01-01T00:00:00Z");
        assert!(parse("2024-13-01T00:00:00Z").is_none());
        assert!(parse("yesterday").is_none());
    }
}
