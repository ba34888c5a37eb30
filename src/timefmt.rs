//! The one timestamp format the VOD API speaks: UTC `yyyy-MM-ddTHH:mm:ssZ`.
//!
//! Why every function here is total: a manifest may say `9999-12-31T23:59:59-23:59`, a valid
//! RFC 3339 time whose UTC value lies in the year 10000, past what the API's four-digit year (and
//! the `time` crate without `large-dates`) can hold. [`parse_utc`] refuses such a value up front,
//! so validation reports it with its FILE:LINE:COL, and [`format`] never panics, whatever it is
//! given.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// Why a text is not a usable timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeError {
    /// Not RFC 3339 at all.
    Format,
    /// RFC 3339, but its UTC value is outside the years 0000 to 9999 the API can carry.
    Range,
}

/// `9999-12-31T23:59:59Z`, the latest time the API's four-digit year can carry, in Unix seconds:
/// every computed time is bounded by it.
pub const LATEST_UNIX: i64 = 253_402_300_799;

/// Formats as `2024-01-01T00:00:00Z` (UTC, whole seconds), as the API wants it. Total: a value
/// with no UTC form (only possible for values built outside [`parse_utc`]) is shown as it is.
pub fn format(t: OffsetDateTime) -> String {
    match t.checked_to_offset(UtcOffset::UTC) {
        Some(u) => u
            .format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .unwrap_or_else(|_| u.to_string()),
        None => t.to_string(),
    }
}

/// Parses an RFC 3339 timestamp (any offset; fractional seconds allowed) into its UTC value,
/// saying why when it cannot.
pub fn parse_utc(s: &str) -> Result<OffsetDateTime, TimeError> {
    let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| TimeError::Format)?;
    t.checked_to_offset(UtcOffset::UTC)
        .filter(|u| (0..=9999).contains(&u.year()))
        .ok_or(TimeError::Range)
}

/// Parses an RFC 3339 timestamp into its UTC value; None when [`parse_utc`] refuses it.
pub fn parse(s: &str) -> Option<OffsetDateTime> {
    parse_utc(s).ok()
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

    #[test]
    fn values_past_the_utc_range_are_refused_not_panicked_on() {
        assert_eq!(
            parse_utc("9999-12-31T23:59:59-23:59"),
            Err(TimeError::Range)
        );
        assert_eq!(
            parse_utc("0000-01-01T00:00:00+00:01"),
            Err(TimeError::Range)
        );
        assert_eq!(parse_utc("not a time"), Err(TimeError::Format));
        assert_eq!(
            format(parse("9999-12-31T23:59:59Z").unwrap()),
            "9999-12-31T23:59:59Z"
        );
        // format is total, even for a value that has no UTC form.
        let raw = OffsetDateTime::parse("9999-12-31T23:59:59-23:59", &Rfc3339).unwrap();
        assert_eq!(format(raw), raw.to_string());
        let low = OffsetDateTime::parse("0000-01-01T00:00:00+23:59", &Rfc3339).unwrap();
        let _ = format(low);
    }
}
