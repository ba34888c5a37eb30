//! The one timestamp format the VOD API speaks, from the server's side: UTC
//! `yyyy-MM-ddTHH:mm:ssZ` out, RFC 3339 in.
//!
//! Both functions are total: a time outside the years 0000 to 9999 the API's four-digit year can
//! carry is refused on the way in, and formatting never panics, whatever it is given.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// Formats as `2024-01-01T00:00:00Z` (UTC, whole seconds), as the API answers. A value with no
/// UTC form is shown as it is.
pub(crate) fn format(t: OffsetDateTime) -> String {
    match t.checked_to_offset(UtcOffset::UTC) {
        Some(u) => u
            .format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .unwrap_or_else(|_| u.to_string()),
        None => t.to_string(),
    }
}

/// Parses an RFC 3339 timestamp (any offset; fractional seconds allowed) into its UTC value; None
/// when it is not one, or when its UTC value is outside the years 0000 to 9999.
pub(crate) fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()?
        .checked_to_offset(UtcOffset::UTC)
        .filter(|u| (0..=9999).contains(&u.year()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_api_timestamps_and_refuses_what_the_api_cannot_carry() {
        let t = parse("2024-01-01T08:00:00+08:00").unwrap();
        assert_eq!(format(t), "2024-01-01T00:00:00Z");
        assert!(parse("2024-13-01T00:00:00Z").is_none());
        assert!(parse("yesterday").is_none());
        assert!(parse("9999-12-31T23:59:59-23:59").is_none());
        assert!(parse("0000-01-01T00:00:00+00:01").is_none());
        let raw = OffsetDateTime::parse("9999-12-31T23:59:59-23:59", &Rfc3339).unwrap();
        assert_eq!(format(raw), raw.to_string());
    }
}
