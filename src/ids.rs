//! Video identifiers as types.
//!
//! Why: DeleteVideo takes a comma-separated list, so an unchecked string with a comma in it would
//! smuggle a second ID into a deletion call. [`VideoId`] and [`ReferenceId`] can only be built
//! through [`check_id`], so an empty ID, one with a comma, whitespace or a control character can
//! never reach an API request.
//!
//! Why printable ASCII only: the text a reviewer reads must be the ID that is deleted. Invisible
//! (U+200B), bidirectional (U+202E) or look-alike Unicode characters would make two different IDs
//! look the same in a review. VOD video IDs are 32 hex digits, and reference IDs are documented as
//! 6 to 64 characters from `[A-Za-z0-9_-]` (the `ReferenceId` field of GetVideoInfos,
//! <https://www.alibabacloud.com/help/en/vod/api-getvideoinfos>), so
//! nothing legitimate is refused. They share their text (`Arc<str>`), so the many copies a plan of a
//! million videos makes (manifest, live state, plan, journal) cost no allocation each.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Why a string is not a usable ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("is empty")]
    Empty,
    #[error(
        "contains a comma, which would split it into two IDs in the API's comma-separated list"
    )]
    Comma,
    #[error("contains whitespace")]
    Whitespace,
    #[error("contains a control character")]
    Control,
    #[error(
        "contains {0:?} (U+{code:04X}), which is not printable ASCII; IDs are ASCII, and an invisible or look-alike character would make the reviewed text differ from the ID deleted",
        code = u32::from(*.0)
    )]
    NotAscii(char),
    #[error("is {0} characters long; the longest ID vodplan accepts is 256")]
    TooLong(usize),
    #[error(
        "contains {0:?}; a reference ID holds only letters, digits, `_` and `-` (VOD's ReferenceId rule)"
    )]
    ReferenceChar(char),
    #[error(
        "is {0} characters long; a reference ID is 6 to 64 characters (VOD's ReferenceId rule)"
    )]
    ReferenceLength(usize),
}

/// Checks the rules every ID obeys, whichever kind it is.
pub fn check_id(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    let chars = s.chars().count();
    if chars > 256 {
        return Err(IdError::TooLong(chars));
    }
    for c in s.chars() {
        if c == ',' {
            return Err(IdError::Comma);
        }
        if c.is_whitespace() {
            return Err(IdError::Whitespace);
        }
        if c.is_control() {
            return Err(IdError::Control);
        }
        if !c.is_ascii_graphic() {
            return Err(IdError::NotAscii(c));
        }
    }
    Ok(())
}

/// Checks a reference ID: every rule of [`check_id`], then the documented `ReferenceId` form
/// (6 to 64 characters from `[A-Za-z0-9_-]`).
pub fn check_reference_id(s: &str) -> Result<(), IdError> {
    check_id(s)?;
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(IdError::ReferenceChar(c));
    }
    if !(6..=64).contains(&s.len()) {
        return Err(IdError::ReferenceLength(s.len()));
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Builds the ID after checking it (see the module docs).
            pub fn new(s: impl Into<String>) -> Result<Self, IdError> {
                let s = s.into();
                $check(&s)?;
                Ok(Self(Arc::from(s)))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::new(s.clone())
                    .map_err(|e| serde::de::Error::custom(format!("ID {s:?} {e}")))
            }
        }
    };
}

id_type!(
    /// A VOD video ID (the API's `VideoId`).
    VideoId,
    check_id
);
id_type!(
    /// A custom ID chosen by the uploader (the API's `ReferenceId`), unique per account.
    ReferenceId,
    check_reference_id
);

/// How a manifest names one video: by its video ID or by its reference ID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VideoRef {
    Video(VideoId),
    Reference(ReferenceId),
}

impl fmt::Display for VideoRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VideoRef::Video(id) => write!(f, "videoId {id}"),
            VideoRef::Reference(id) => write!(f, "referenceId {id}"),
        }
    }
}

/// The regions ApsaraVideo VOD has an endpoint (`vod.<region>.aliyuncs.com`) in:
/// <https://alibabacloud.com/help/en/vod/developer-reference/api-vod-2017-03-21-endpoint>.
pub const VOD_REGIONS: [&str; 12] = [
    "cn-shanghai",
    "cn-beijing",
    "cn-shenzhen",
    "cn-hongkong",
    "ap-southeast-1",
    "ap-northeast-1",
    "ap-southeast-5",
    "eu-central-1",
    "us-west-1",
    "me-central-1",
    "cn-north-2-gov-1",
    "ap-south-1",
];

/// A region ID (`cn-shanghai`): lowercase ASCII letters, digits and `-`, and not a near miss of a
/// region VOD serves (`cn-shangai`). Validated once, here: the manifest's `region`, the regions
/// named on the command line, environment or profile, and the endpoint built from a region all
/// go through [`Region::new`]. A well-formed region VOD is not known to serve is a `Region` (the
/// list may lag the service); [`Region::is_known`] says which.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    #[error("region `{0}` is not a region ID such as cn-shanghai")]
    Malformed(String),
    #[error("region `{given}` has no VOD endpoint; did you mean `{known}`?")]
    Typo { given: String, known: &'static str },
}

impl Region {
    pub fn new(region: impl Into<String>) -> Result<Region, RegionError> {
        let region = region.into();
        if !Region::is_well_formed(&region) {
            return Err(RegionError::Malformed(region));
        }
        if let Some(known) = region_typo_of(&region) {
            return Err(RegionError::Typo {
                given: region,
                known,
            });
        }
        Ok(Region(region))
    }

    /// The form of a region ID: lowercase letters, digits and `-`, not empty (the manifest's
    /// JSON Schema pattern is checked against this function).
    pub fn is_well_formed(text: &str) -> bool {
        !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it is one of [`VOD_REGIONS`].
    pub fn is_known(&self) -> bool {
        is_vod_region(&self.0)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Region {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

/// Whether `region` is one of [`VOD_REGIONS`].
fn is_vod_region(region: &str) -> bool {
    VOD_REGIONS.contains(&region)
}

/// For a region VOD does not serve, the known one it is most likely a typo of (at most two edits
/// away): `cn-shangai` → `cn-shanghai`.
fn region_typo_of(region: &str) -> Option<&'static str> {
    if is_vod_region(region) {
        return None;
    }
    VOD_REGIONS
        .iter()
        .map(|r| (strsim::damerau_levenshtein(region, r), *r))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_is_validated_once_with_a_suggestion_for_a_near_miss() {
        assert_eq!(Region::new("cn-shanghai").unwrap().as_str(), "cn-shanghai");
        assert!(Region::new("cn-shanghai").unwrap().is_known());
        // Well-formed but unknown: a region, for the caller to warn about.
        assert!(!Region::new("xx-nowhere-9").unwrap().is_known());
        for bad in [
            "",
            "CN-SHANGHAI",
            "cn shanghai",
            "cn_shanghai",
            "vod.cn-shanghai",
        ] {
            assert_eq!(
                Region::new(bad),
                Err(RegionError::Malformed(bad.into())),
                "{bad:?}"
            );
        }
        assert_eq!(
            Region::new("cn-shangai").unwrap_err().to_string(),
            "region `cn-shangai` has no VOD endpoint; did you mean `cn-shanghai`?"
        );
    }

    #[test]
    fn rejects_what_would_corrupt_a_comma_separated_list() {
        assert_eq!(check_id(""), Err(IdError::Empty));
        assert_eq!(check_id("a,b"), Err(IdError::Comma));
        assert_eq!(check_id("a b"), Err(IdError::Whitespace));
        assert_eq!(check_id("a\u{3000}b"), Err(IdError::Whitespace));
        assert_eq!(check_id("a\u{7}b"), Err(IdError::Control));
        assert!(matches!(
            check_id(&"x".repeat(257)),
            Err(IdError::TooLong(257))
        ));
        assert_eq!(check_id("2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910"), Ok(()));
        assert_eq!(check_id("promo-2023_001"), Ok(()));
    }

    #[test]
    fn only_printable_ascii() {
        assert_eq!(check_id("ab\u{200b}cd"), Err(IdError::NotAscii('\u{200b}')));
        assert_eq!(check_id("ab\u{202e}cd"), Err(IdError::NotAscii('\u{202e}')));
        assert_eq!(check_id("abcé"), Err(IdError::NotAscii('é')));
        assert_eq!(
            IdError::NotAscii('\u{202e}').to_string(),
            "contains '\\u{202e}' (U+202E), which is not printable ASCII; IDs are ASCII, and an invisible or look-alike character would make the reviewed text differ from the ID deleted"
        );
    }

    #[test]
    fn reference_ids_follow_the_documented_form() {
        assert_eq!(check_reference_id("promo-2023_001"), Ok(()));
        assert_eq!(check_reference_id("abcdef"), Ok(()));
        assert_eq!(
            check_reference_id("abcde"),
            Err(IdError::ReferenceLength(5))
        );
        assert_eq!(
            check_reference_id(&"a".repeat(65)),
            Err(IdError::ReferenceLength(65))
        );
        assert_eq!(
            check_reference_id("promo.2023"),
            Err(IdError::ReferenceChar('.'))
        );
        assert!(ReferenceId::new("a/b/c/d").is_err());
        assert!(VideoId::new("a/b").is_ok());
    }

    #[test]
    fn deserializing_checks_too() {
        assert!(serde_json::from_str::<VideoId>("\"a,b\"").is_err());
        assert_eq!(
            serde_json::from_str::<VideoId>("\"ab\"").unwrap().as_str(),
            "ab"
        );
    }
}
