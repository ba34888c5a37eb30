//! The manifest as written: every key and value with its position, nothing interpreted yet.
//!
//! Why a hand-written layer instead of `#[derive(Deserialize)]` on the final types: derive stops at
//! the first problem, and `validate` must report *every* problem. So this layer accepts any keys
//! (remembering the unknown ones with their positions) and keeps every scalar as the string the
//! author wrote (`0123` stays `0123`, never the number 123); `validate` then checks everything and
//! collects diagnostics. Only a structural YAML error (bad syntax, a list where a scalar belongs)
//! stops the reading of one file.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A 1-based line and column inside the file being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl<T> From<&Spanned<T>> for Pos {
    fn from(s: &Spanned<T>) -> Self {
        Pos {
            line: s.referenced.line() as u32,
            column: s.referenced.column() as u32,
        }
    }
}

/// A scalar field: where its key is, and its value as written (None for an empty value).
#[derive(Debug, Clone)]
pub struct Field {
    pub key: Pos,
    pub value: Option<Spanned<String>>,
}

/// A list field: where its key is, and its items (None for an empty value).
#[derive(Debug, Clone)]
pub struct ListField<T> {
    pub key: Pos,
    pub items: Option<Vec<Spanned<T>>>,
}

/// A nested mapping field.
#[derive(Debug, Clone)]
pub struct MapField<T> {
    pub key: Pos,
    pub value: Option<Spanned<T>>,
}

/// A key nobody asked for, with where it stands.
#[derive(Debug, Clone)]
pub struct UnknownKey {
    pub name: String,
    pub pos: Pos,
}

#[derive(Debug, Default)]
pub struct RawManifest {
    pub version: Option<Field>,
    pub region: Option<Field>,
    pub delete: Option<ListField<RawEntry>>,
    pub keep: Option<ListField<RawEntry>>,
    pub limits: Option<MapField<RawLimits>>,
    pub unknown: Vec<UnknownKey>,
}

#[derive(Debug, Default, Clone)]
pub struct RawEntry {
    pub video_id: Option<Field>,
    pub reference_id: Option<Field>,
    pub reason: Option<Field>,
    pub selector: Option<MapField<RawMatch>>,
    pub unknown: Vec<UnknownKey>,
}

#[derive(Debug, Default, Clone)]
pub struct RawMatch {
    pub status: Option<ListField<String>>,
    pub category_id: Option<Field>,
    pub created_before: Option<Field>,
    pub created_after: Option<Field>,
    pub title_prefix: Option<Field>,
    pub unknown: Vec<UnknownKey>,
}

#[derive(Debug, Default, Clone)]
pub struct RawLimits {
    pub max_deletes: Option<Field>,
    pub unknown: Vec<UnknownKey>,
}

/// Reads one mapping, handing each key to `on_key`; keys it declines are recorded as unknown and
/// their values skipped.
fn read_map<'de, A, F>(mut map: A, mut on_key: F) -> Result<Vec<UnknownKey>, A::Error>
where
    A: MapAccess<'de>,
    F: FnMut(&str, Pos, &mut A) -> Result<bool, A::Error>,
{
    let mut unknown = Vec::new();
    while let Some(key) = map.next_key::<Spanned<String>>()? {
        let pos = Pos::from(&key);
        if !on_key(&key.value, pos, &mut map)? {
            map.next_value::<IgnoredAny>()?;
            unknown.push(UnknownKey {
                name: key.value,
                pos,
            });
        }
    }
    Ok(unknown)
}

fn field<'de, A: MapAccess<'de>>(key: Pos, map: &mut A) -> Result<Option<Field>, A::Error> {
    Ok(Some(Field {
        key,
        value: map.next_value()?,
    }))
}

fn list<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    key: Pos,
    map: &mut A,
) -> Result<Option<ListField<T>>, A::Error> {
    let items: Option<SpannedSeq<T>> = map.next_value()?;
    Ok(Some(ListField {
        key,
        items: items.map(|s| s.0),
    }))
}

fn nested<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    key: Pos,
    map: &mut A,
) -> Result<Option<MapField<T>>, A::Error> {
    Ok(Some(MapField {
        key,
        value: map.next_value()?,
    }))
}

/// A sequence whose items each carry their position, read without an intermediate copy.
struct SpannedSeq<T>(Vec<Spanned<T>>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for SpannedSeq<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SeqVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for SeqVisitor<T> {
            type Value = SpannedSeq<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(SpannedSeq(items))
            }
        }
        d.deserialize_seq(SeqVisitor(std::marker::PhantomData))
    }
}

/// Implements `Deserialize` for a raw struct through [`read_map`].
macro_rules! raw_map {
    ($ty:ident, $what:literal, |$this:ident, $name:ident, $pos:ident, $map:ident| $body:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct MapVisitor;
                impl<'de> Visitor<'de> for MapVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$ty, A::Error> {
                        let mut $this = $ty::default();
                        let unknown = read_map(map, |$name, $pos, $map| $body)?;
                        $this.unknown = unknown;
                        Ok($this)
                    }
                }
                d.deserialize_map(MapVisitor)
            }
        }
    };
}

raw_map!(
    RawManifest,
    "a manifest mapping (version, region, delete, keep, limits)",
    |m, name, pos, map| {
        match name {
            "version" => m.version = field(pos, map)?,
            "region" => m.region = field(pos, map)?,
            "delete" => m.delete = list(pos, map)?,
            "keep" => m.keep = list(pos, map)?,
            "limits" => m.limits = nested(pos, map)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
);

raw_map!(
    RawEntry,
    "an entry mapping (videoId, referenceId or match)",
    |e, name, pos, map| {
        match name {
            "videoId" => e.video_id = field(pos, map)?,
            "referenceId" => e.reference_id = field(pos, map)?,
            "reason" => e.reason = field(pos, map)?,
            "match" => e.selector = nested(pos, map)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
);

raw_map!(RawMatch, "a match mapping", |m, name, pos, map| {
    match name {
        "status" => m.status = list(pos, map)?,
        "categoryId" => m.category_id = field(pos, map)?,
        "createdBefore" => m.created_before = field(pos, map)?,
        "createdAfter" => m.created_after = field(pos, map)?,
        "titlePrefix" => m.title_prefix = field(pos, map)?,
        _ => return Ok(false),
    }
    Ok(true)
});

raw_map!(RawLimits, "a limits mapping", |l, name, pos, map| {
    match name {
        "maxDeletes" => l.max_deletes = field(pos, map)?,
        _ => return Ok(false),
    }
    Ok(true)
});

/// Why a file could not be read into a [`RawManifest`] at all.
#[derive(Debug)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// Node budget for one manifest file.
///
/// serde-saphyr's default (250,000 nodes) stops near 80,000 entries. A manifest entry costs about
/// three nodes (the mapping, a key, a value; four with a reason), so 16 million nodes admit several
/// million entries while still bounding what a hostile file can make us allocate.
pub const MAX_NODES: usize = 16_000_000;

/// Parses one manifest file's text.
pub fn parse(text: &str) -> Result<Option<RawManifest>, SyntaxError> {
    let mut options = serde_saphyr::options! {};
    let mut budget = options.budget.take().unwrap_or_default();
    budget.max_nodes = MAX_NODES;
    budget.max_events = MAX_NODES * 2;
    budget.max_total_scalar_bytes = 1 << 30;
    budget.max_reader_input_bytes = Some(1 << 30);
    options.budget = Some(budget);
    options.with_snippet = false;
    serde_saphyr::from_str_with_options::<Option<RawManifest>>(text, options).map_err(|e| {
        let pos = e
            .location()
            .map(|l| Pos {
                line: l.line() as u32,
                column: l.column() as u32,
            })
            .filter(|p| p.line > 0)
            .unwrap_or(Pos { line: 1, column: 1 });
        SyntaxError {
            pos,
            message: clean_message(&e.without_snippet().to_string()),
        }
    })
}

/// serde-saphyr appends " at line L, column C"; the diagnostic already starts with FILE:LINE:COL.
fn clean_message(message: &str) -> String {
    let trimmed = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    let trimmed = trimmed.replace(", set DuplicateKeyPolicy in Options if acceptable", "");
    format!("invalid YAML: {trimmed}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_scalars_as_written_and_positions() {
        let m = parse("version: 1\ndelete:\n  - videoId: 0123\n    reason: x\n    colour: red\n")
            .unwrap()
            .unwrap();
        let delete = m.delete.unwrap().items.unwrap();
        let e = &delete[0];
        let id = e.value.video_id.as_ref().unwrap().value.as_ref().unwrap();
        assert_eq!(id.value, "0123");
        assert_eq!(
            Pos::from(id),
            Pos {
                line: 3,
                column: 14
            }
        );
        assert_eq!(Pos::from(e), Pos { line: 3, column: 5 });
        assert_eq!(e.value.unknown[0].name, "colour");
        assert_eq!(e.value.unknown[0].pos, Pos { line: 5, column: 5 });
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let e = parse("version: 1\ndelete: [\n").unwrap_err();
        assert!(e.pos.line >= 2, "{e:?}");
        assert!(e.message.starts_with("invalid YAML"), "{e:?}");
    }

    #[test]
    fn empty_text_is_no_manifest() {
        assert!(parse("").unwrap().is_none());
        assert!(parse("# only a comment\n").unwrap().is_none());
    }
}
