//! Where a manifest problem is, and what it is.
//!
//! Every manifest problem is reported as `FILE:LINE:COL: message` so that editors, CI annotations
//! and people can jump straight to it. Warnings say so after the location.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A position in one manifest file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

impl Location {
    pub fn new(file: &Arc<str>, line: u32, column: u32) -> Self {
        Location {
            file: file.clone(),
            line,
            column,
        }
    }

    /// `FILE:LINE`, the short form shown in plans (the JSON `source` field).
    pub fn file_line(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A [`Location`] is stored in plan files and journals as `FILE:LINE:COL`.
impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let mut parts = s.rsplitn(3, ':');
        let column = parts.next().and_then(|c| c.parse().ok());
        let line = parts.next().and_then(|l| l.parse().ok());
        match (parts.next(), line, column) {
            (Some(file), Some(line), Some(column)) => Ok(Location {
                file: file.into(),
                line,
                column,
            }),
            _ => Err(serde::de::Error::custom(format!(
                "{s:?} is not FILE:LINE:COL"
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in the manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub location: Location,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn error(location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            location,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    pub fn warning(location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            location,
            severity: Severity::Warning,
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A diagnostic on a terminal: file names and quoted content are outside text, so control and
/// bidirectional-formatting characters (which could rewrite or reorder what is shown, or forge a
/// line) are written as visible `\u{..}` escapes.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = self.location.to_string();
        let location = visible(&location);
        let message = visible(&self.message);
        match self.severity {
            Severity::Error => write!(f, "{location}: {message}"),
            Severity::Warning => write!(f, "{location}: warning: {message}"),
        }
    }
}

/// Whether `c` must not reach a terminal as it is: a control character, or one that changes
/// the direction or visibility of the text around it.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
}

/// `text` with every [`hidden`] character escaped.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}
