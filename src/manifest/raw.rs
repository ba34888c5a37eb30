//! The manifest as written: every key and value with its position, nothing interpreted yet.
//!
//! Why a hand-written layer instead of `#[derive(Deserialize)]` on the final types: derive stops at
//! the first problem, and `validate` must report *every* problem. So this layer accepts any keys
//! (remembering the unknown ones with their positions) and keeps every scalar as the string the
//! author wrote (`0123` stays `0123`, never the number 123); `validate` then checks everything and
//! collects diagnostics. Only a structural YAML error (bad syntax, a list where a scalar belongs)
//! stops the reading of one file.
//!
//! Two modes, for speed at scale: the *fast* mode records the position of every entry (what plans
//! and warnings cite) but not of every key and value inside it; the *precise* mode records all.
//! `load` reads in fast mode and, only when validation finds an error, reads again in precise
//! mode, so that every diagnostic still points at its exact `FILE:LINE:COL`.
//!
//! Every scalar is read with its YAML tag, if it has one (serde-saphyr's `Tagged`), and with
//! `!!binary` left undecoded: a tag changes what a value means (`!!binary` base64-decodes it), so
//! the text a reviewer reads would not be the ID that is deleted. `validate` refuses any tag on a
//! scalar it reads.

use std::cell::Cell;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Spanned, Tagged};

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

/// A scalar as written, and where (0:0 when read in fast mode inside an entry).
#[derive(Debug, Clone)]
pub struct Scalar {
    pub text: String,
    pub pos: Pos,
    /// The explicit YAML tag on the value (`tag:yaml.org,2002:binary`, `!custom`), if any.
    pub tag: Option<Box<str>>,
}

/// A scalar list item as written, with its explicit YAML tag, if any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    pub text: String,
    pub tag: Option<String>,
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if UNTAGGED.with(Cell::get) {
            return Ok(Text {
                text: String::deserialize(d)?,
                tag: None,
            });
        }
        let Tagged(text, tag) = Tagged::<String>::deserialize(d)?;
        Ok(Text { text, tag })
    }
}

/// A scalar field: where its key is, and its value (None for an empty value).
#[derive(Debug, Clone)]
pub struct Field {
    pub key: Pos,
    pub value: Option<Scalar>,
}

/// A value and where it starts (always recorded, in both modes).
#[derive(Debug, Clone)]
pub struct Item<T> {
    pub pos: Pos,
    pub value: T,
}

/// A list field: where its key is, and its items (None for an empty value).
#[derive(Debug, Clone)]
pub struct ListField<T> {
    pub key: Pos,
    pub items: Option<Vec<Item<T>>>,
}

/// A nested mapping field.
#[derive(Debug, Clone)]
pub struct MapField<T> {
    pub key: Pos,
    pub value: Option<Item<T>>,
}

impl Field {
    /// The value as written, if it has one.
    pub fn text(&self) -> Option<&str> {
        self.value.as_ref().map(|v| v.text.as_str())
    }
}

impl<T> ListField<T> {
    /// The items, none for an empty value.
    pub fn items(&self) -> &[Item<T>] {
        self.items.as_deref().unwrap_or_default()
    }
}

thread_local! {
    /// Whether keys and values inside entries are read with their positions.
    static PRECISE: Cell<bool> = const { Cell::new(true) };
    /// Whether the text being parsed is known to hold no YAML tag, so that scalars are read
    /// without looking for one (a third faster at a million entries). Set only by
    /// [`parse_untagged`], for the chunks of the split parse, whose strict grammar has no `!`.
    static UNTAGGED: Cell<bool> = const { Cell::new(false) };
}

fn precise() -> bool {
    PRECISE.with(Cell::get)
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
    pub owner: Option<Field>,
    pub quarantine: Option<Field>,
    pub purge_cdn: Option<Field>,
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
    /// Read with its value's position even in fast mode: the plan cites where it was said.
    /// Boxed: rare, and a million entries should not each carry its room.
    pub quarantine: Option<Box<Field>>,
    /// Boxed for the same reason.
    pub purge_cdn: Option<Box<Field>>,
    pub selector: Option<Box<MapField<RawMatch>>>,
    pub unknown: Vec<UnknownKey>,
}

#[derive(Debug, Default, Clone)]
pub struct RawMatch {
    pub status: Option<ListField<Text>>,
    pub category_id: Option<Field>,
    pub created_before: Option<Field>,
    pub created_after: Option<Field>,
    pub older_than: Option<Field>,
    pub newer_than: Option<Field>,
    pub title_prefix: Option<Field>,
    pub storage_location: Option<Field>,
    pub tags: Option<ListField<Text>>,
    pub unknown: Vec<UnknownKey>,
}

#[derive(Debug, Default, Clone)]
pub struct RawLimits {
    pub max_deletes: Option<Field>,
    pub max_quarantines: Option<Field>,
    pub unknown: Vec<UnknownKey>,
}

/// Reads one mapping, handing each key to `on_key`; keys it declines are recorded as unknown and
/// their values skipped. `spans`: read each key's position (else 0:0).
fn read_map<'de, A, F>(mut map: A, spans: bool, mut on_key: F) -> Result<Vec<UnknownKey>, A::Error>
where
    A: MapAccess<'de>,
    F: FnMut(&str, Pos, &mut A) -> Result<bool, A::Error>,
{
    let mut unknown = Vec::new();
    loop {
        let (name, pos) = if spans {
            match map.next_key::<Spanned<String>>()? {
                Some(key) => {
                    let pos = Pos::from(&key);
                    (key.value, pos)
                }
                None => break,
            }
        } else {
            match map.next_key::<String>()? {
                Some(key) => (key, Pos::default()),
                None => break,
            }
        };
        if !on_key(&name, pos, &mut map)? {
            map.next_value::<IgnoredAny>()?;
            unknown.push(UnknownKey { name, pos });
        }
    }
    Ok(unknown)
}

fn field<'de, A: MapAccess<'de>>(
    key: Pos,
    map: &mut A,
    spans: bool,
) -> Result<Option<Field>, A::Error> {
    let value = if spans {
        map.next_value::<Option<Spanned<Text>>>()?.map(|v| Scalar {
            pos: Pos::from(&v),
            text: v.value.text,
            tag: v.value.tag.map(String::into_boxed_str),
        })
    } else {
        map.next_value::<Option<Text>>()?.map(|t| Scalar {
            text: t.text,
            pos: Pos::default(),
            tag: t.tag.map(String::into_boxed_str),
        })
    };
    Ok(Some(Field { key, value }))
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
    let value: Option<Spanned<T>> = map.next_value()?;
    Ok(Some(MapField {
        key,
        value: value.map(|v| Item {
            pos: Pos::from(&v),
            value: v.value,
        }),
    }))
}

/// A sequence whose items each carry their position, read without an intermediate copy.
struct SpannedSeq<T>(Vec<Item<T>>);

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
                while let Some(item) = seq.next_element::<Spanned<T>>()? {
                    items.push(Item {
                        pos: Pos::from(&item),
                        value: item.value,
                    });
                }
                Ok(SpannedSeq(items))
            }
        }
        d.deserialize_seq(SeqVisitor(std::marker::PhantomData))
    }
}

/// Implements `Deserialize` for a raw struct through [`read_map`].
macro_rules! raw_map {
    ($ty:ident, $what:literal, $spans:expr, |$this:ident, $name:ident, $pos:ident, $map:ident| $body:expr) => {
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
                        let unknown = read_map(map, $spans, |$name, $pos, $map| $body)?;
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
    "a manifest mapping (version, region, owner, quarantine, delete, keep, limits)",
    true,
    |m, name, pos, map| {
        match name {
            "version" => m.version = field(pos, map, true)?,
            "region" => m.region = field(pos, map, true)?,
            "owner" => m.owner = field(pos, map, true)?,
            "quarantine" => m.quarantine = field(pos, map, true)?,
            "purgeCdn" => m.purge_cdn = field(pos, map, true)?,
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
    precise(),
    |e, name, pos, map| {
        match name {
            "videoId" => e.video_id = field(pos, map, precise())?,
            "referenceId" => e.reference_id = field(pos, map, precise())?,
            "reason" => e.reason = field(pos, map, precise())?,
            "quarantine" => e.quarantine = field(pos, map, true)?.map(Box::new),
            "purgeCdn" => e.purge_cdn = field(pos, map, true)?.map(Box::new),
            "match" => e.selector = nested(pos, map)?.map(Box::new),
            _ => return Ok(false),
        }
        Ok(true)
    }
);

raw_map!(
    RawMatch,
    "a match mapping",
    precise(),
    |m, name, pos, map| {
        match name {
            "status" => m.status = list(pos, map)?,
            "categoryId" => m.category_id = field(pos, map, precise())?,
            "createdBefore" => m.created_before = field(pos, map, precise())?,
            "createdAfter" => m.created_after = field(pos, map, precise())?,
            "olderThan" => m.older_than = field(pos, map, precise())?,
            "newerThan" => m.newer_than = field(pos, map, precise())?,
            "titlePrefix" => m.title_prefix = field(pos, map, precise())?,
            "storageLocation" => m.storage_location = field(pos, map, precise())?,
            "tags" => m.tags = list(pos, map)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
);

raw_map!(RawLimits, "a limits mapping", true, |l, name, pos, map| {
    match name {
        "maxDeletes" => l.max_deletes = field(pos, map, true)?,
        "maxQuarantines" => l.max_quarantines = field(pos, map, true)?,
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

/// [`parse`] of a text that holds no `!` at all, so no YAML tag: scalars are read without
/// looking for one. Only for the split parse's chunks (their grammar has no `!`; a property test
/// checks split parsing equals whole parsing, and the whole parse reads tags).
pub(crate) fn parse_untagged(
    text: &str,
    precise: bool,
) -> Result<Option<RawManifest>, SyntaxError> {
    if text.contains('!') {
        return parse(text, precise);
    }
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            UNTAGGED.with(|u| u.set(self.0));
        }
    }
    let _restore = Restore(UNTAGGED.with(|u| u.replace(true)));
    parse(text, precise)
}

/// Parses one manifest file's text; `precise` records every key's and value's position.
pub fn parse(text: &str, precise: bool) -> Result<Option<RawManifest>, SyntaxError> {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            PRECISE.with(|p| p.set(self.0));
        }
    }
    let _restore = Restore(PRECISE.with(|p| p.replace(precise)));
    let mut options = serde_saphyr::options! {};
    let mut budget = options.budget.take().unwrap_or_default();
    budget.max_nodes = MAX_NODES;
    budget.max_events = MAX_NODES * 2;
    budget.max_total_scalar_bytes = 1 << 30;
    budget.max_reader_input_bytes = Some(1 << 30);
    options.budget = Some(budget);
    options.with_snippet = false;
    // Keep `!!binary` text as written; validation refuses the tag (see the module docs).
    options.ignore_binary_tag_for_string = true;
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
    // What the parser says in terms of its own API, said in the manifest's.
    if trimmed.contains("multiple YAML documents") {
        return "this file holds more than one YAML document (separated by `---`); a manifest is one document: put each in a file of its own".into();
    }
    if trimmed.contains("expected sequence start") {
        return "a list is expected here, such as `[UploadFail, Blocked]` (or one `- item` per line)".into();
    }
    format!("invalid YAML: {trimmed}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_scalars_as_written_and_positions() {
        let text = "version: 1\ndelete:\n  - videoId: 0123\n    reason: x\n    colour: red\n";
        let m = parse(text, true).unwrap().unwrap();
        let delete = m.delete.unwrap().items.unwrap();
        let e = &delete[0];
        let id = e.value.video_id.as_ref().unwrap().value.as_ref().unwrap();
        assert_eq!(id.text, "0123");
        assert_eq!(
            id.pos,
            Pos {
                line: 3,
                column: 14
            }
        );
        assert_eq!(e.pos, Pos { line: 3, column: 5 });
        assert_eq!(e.value.unknown[0].name, "colour");
        assert_eq!(e.value.unknown[0].pos, Pos { line: 5, column: 5 });
        // Fast mode: the same values, and only the entry's position.
        let m = parse(text, false).unwrap().unwrap();
        let delete = m.delete.unwrap().items.unwrap();
        let e = &delete[0];
        assert_eq!(e.pos, Pos { line: 3, column: 5 });
        assert_eq!(
            e.value.video_id.as_ref().and_then(Field::text),
            Some("0123")
        );
        assert_eq!(e.value.unknown[0].pos, Pos::default());
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let e = parse("version: 1\ndelete: [\n", false).unwrap_err();
        assert!(e.pos.line >= 2, "{e:?}");
        assert!(e.message.starts_with("invalid YAML"), "{e:?}");
    }

    #[test]
    fn empty_text_is_no_manifest() {
        assert!(parse("", false).unwrap().is_none());
        assert!(parse("# only a comment\n", true).unwrap().is_none());
    }
}
