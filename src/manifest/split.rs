//! Parsing one large manifest on all cores, with exactly the whole-file parse's result.
//!
//! A manifest of a million IDs is one long block sequence under `delete:` (or `keep:`). Its items
//! are independent, so the list is cut at item boundaries into chunks that are parsed in
//! parallel (rayon) and merged in order. Every chunk keeps the original line numbers (the lines
//! before it are replaced by empty lines, which the parser skips cheaply) and columns (lines are
//! not changed), so positions are exactly those of a whole-file parse.
//!
//! Why a cut is safe: only when the *whole file* obeys a strict line grammar ([`classify`]) in
//! which no YAML construct can span two lines. Every byte is printable ASCII or LF, so there is no
//! CR (a line break to YAML), tab, BOM or Unicode line separator; the file ends with LF; every
//! line is blank, a whole-line comment, or `KEY:`, `KEY: VALUE`, `- KEY: VALUE` or `- VALUE`
//! where KEY is `[A-Za-z][A-Za-z0-9_]*` and VALUE is a plain scalar of a small character set that
//! cannot open a quote, a flow collection, an anchor, an alias, a tag, a block scalar, a comment
//! or a nested mapping (no `'"[]{}&*!|>#:,%@`). Under that grammar a line means the same wherever
//! it is, the list's region holds only items at one indentation and their fields two columns
//! deeper, and so a line starting the list's `- ` is provably an item start. Anything else, a
//! multi-line quoted string or a lone CR included (such a file once turned `keep` into
//! `delete` on 2 cores), is parsed whole. Any chunk that fails to parse, or that holds anything but
//! its part of the list, also sends the file to the whole-file parse. The parser's node and event
//! budgets ([`raw::MAX_NODES`]) are the one non-local property; files whose line count could reach
//! them are parsed whole too. A property test (`tests/it/manifest_attack.rs`) checks split ==
//! whole over adversarial inputs, forcing the split path on small files.

use rayon::prelude::*;

use super::raw::{self, ListField, RawEntry, RawManifest, SyntaxError};

/// Files smaller than this are parsed whole: splitting would not pay.
pub const SPLIT_THRESHOLD: usize = 4 << 20;

/// What one line is under the strict grammar (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Blank,
    Comment,
    /// `KEY:` or `KEY: VALUE` at column 0; `bare` when there is no value.
    TopKey {
        key_end: usize,
        bare: bool,
    },
    /// `- KEY:` or `- KEY: VALUE` at this indentation.
    ItemKey {
        indent: usize,
    },
    /// `- VALUE` at this indentation (a list of scalars: allowed outside the split list).
    ItemScalar,
    /// `KEY:` or `KEY: VALUE` at this indentation (> 0).
    Field {
        indent: usize,
    },
}

fn is_key(k: &[u8]) -> bool {
    matches!(k.first(), Some(c) if c.is_ascii_alphabetic())
        && k.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

fn is_value(v: &[u8]) -> bool {
    matches!(v.first(), Some(c) if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'('))
        && v.iter().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b' ' | b'_'
                        | b'.'
                        | b'('
                        | b')'
                        | b'/'
                        | b'+'
                        | b'='
                        | b';'
                        | b'~'
                        | b'^'
                        | b'$'
                        | b'-'
                )
        })
}

/// `KEY:` or `KEY: VALUE`; Some(key length, has a value).
fn key_value(rest: &[u8]) -> Option<(usize, bool)> {
    let colon = rest.iter().position(|c| *c == b':')?;
    if !is_key(&rest[..colon]) {
        return None;
    }
    let after = &rest[colon + 1..];
    if after.is_empty() {
        return Some((colon, false));
    }
    let value = after.strip_prefix(b" ")?.trim_ascii_start();
    is_value(value).then_some((colon, true))
}

/// Classifies one line (without its LF); None when it is outside the strict grammar.
fn classify(line: &[u8]) -> Option<Line> {
    let t = line.trim_ascii_end();
    if t.is_empty() {
        return Some(Line::Blank);
    }
    let indent = t.iter().take_while(|c| **c == b' ').count();
    let rest = &t[indent..];
    if rest.starts_with(b"#") {
        return Some(Line::Comment);
    }
    if let Some(after) = rest.strip_prefix(b"- ") {
        if key_value(after).is_some() {
            return Some(Line::ItemKey { indent });
        }
        return is_value(after).then_some(Line::ItemScalar);
    }
    let (key_end, has_value) = key_value(rest)?;
    Some(if indent == 0 {
        Line::TopKey {
            key_end,
            bare: !has_value,
        }
    } else {
        Line::Field { indent }
    })
}

/// Parses `text` in `parts` parallel chunks if its shape allows; None means "parse it whole".
pub fn parse_split(
    text: &str,
    precise: bool,
    parts: usize,
) -> Option<Result<Option<RawManifest>, SyntaxError>> {
    parse_split_from(text, precise, parts, SPLIT_THRESHOLD)
}

/// [`parse_split`] with the size threshold as a parameter, so that tests can force the split path
/// on small files.
#[doc(hidden)]
pub fn parse_split_from(
    text: &str,
    precise: bool,
    parts: usize,
    threshold: usize,
) -> Option<Result<Option<RawManifest>, SyntaxError>> {
    if parts < 2 || text.len() < threshold || text.len() >= 1 << 30 {
        return None;
    }
    let bytes = text.as_bytes();
    if !bytes.ends_with(b"\n")
        || !bytes
            .iter()
            .all(|&b| b == b'\n' || (b' '..=b'~').contains(&b))
    {
        return None;
    }
    let starts = line_starts(text);
    let n_lines = starts.len();
    // At most three nodes and five events per line: past this, the whole-file parse could exceed
    // its budget where no chunk does.
    if n_lines.saturating_mul(3) + 16 > raw::MAX_NODES
        || n_lines.saturating_mul(5) + 16 > raw::MAX_NODES * 2
    {
        return None;
    }
    let line = |i: usize| -> &[u8] { &bytes[starts[i]..offset(&starts, i + 1, text) - 1] };
    let mut kinds = Vec::with_capacity(n_lines);
    for i in 0..n_lines {
        kinds.push(classify(line(i))?);
    }
    // The top-level keys, in order.
    let keys: Vec<(usize, usize, bool)> = kinds
        .iter()
        .enumerate()
        .filter_map(|(i, k)| match *k {
            Line::TopKey { key_end, bare } => Some((i, key_end, bare)),
            _ => None,
        })
        .collect();
    let name_of = |&(i, end, _): &(usize, usize, bool)| &text[starts[i]..starts[i] + end];
    // The largest list section.
    let (k, key) = keys
        .iter()
        .enumerate()
        .filter(|(_, k)| k.2 && matches!(name_of(k), "delete" | "keep"))
        .max_by_key(|(i, k)| keys.get(i + 1).map_or(n_lines, |n| n.0) - k.0)?;
    let name = name_of(key);
    let section_end = keys.get(k + 1).map_or(n_lines, |n| n.0);
    let first =
        (key.0 + 1..section_end).find(|&i| !matches!(kinds[i], Line::Blank | Line::Comment))?;
    let Line::ItemKey { indent } = kinds[first] else {
        return None;
    };
    let mut items = Vec::new();
    for (i, kind) in kinds.iter().enumerate().take(section_end).skip(first) {
        match *kind {
            Line::Blank | Line::Comment => {}
            Line::ItemKey { indent: n } if n == indent => items.push(i),
            Line::Field { indent: n } if n == indent + 2 => {}
            _ => return None,
        }
    }
    drop(kinds);
    if items.len() < parts * 2 {
        return None;
    }
    let cuts: Vec<usize> = (1..parts).map(|p| items[p * items.len() / parts]).collect();
    // Chunk 0: everything but the cut-out part of the list, which becomes empty lines.
    let after = offset(&starts, section_end, text);
    let mut head =
        String::with_capacity(starts[cuts[0]] + (section_end - cuts[0]) + (text.len() - after));
    head.push_str(&text[..starts[cuts[0]]]);
    head.extend(std::iter::repeat_n('\n', section_end - cuts[0]));
    head.push_str(&text[after..]);
    let mut chunks = vec![head];
    for (c, &from) in cuts.iter().enumerate() {
        let to = offset(
            &starts,
            cuts.get(c + 1).copied().unwrap_or(section_end),
            text,
        );
        let mut chunk = String::with_capacity(name.len() + 2 + from + (to - starts[from]));
        chunk.push_str(name);
        chunk.push_str(":\n");
        chunk.extend(std::iter::repeat_n('\n', from - 1));
        chunk.push_str(&text[starts[from]..to]);
        chunks.push(chunk);
    }
    let results: Vec<Result<Option<RawManifest>, SyntaxError>> = chunks
        .par_iter()
        .map(|c| raw::parse_untagged(c, precise))
        .collect();
    drop(chunks);
    let mut results = results.into_iter();
    let mut merged = results.next()?.ok()??;
    let is_delete = name == "delete";
    for r in results {
        let part = r.ok()??;
        let clean = part.version.is_none()
            && part.region.is_none()
            && part.limits.is_none()
            && part.quarantine.is_none()
            && part.purge_cdn.is_none()
            && part.unknown.is_empty()
            && (if is_delete {
                part.keep.is_none()
            } else {
                part.delete.is_none()
            });
        if !clean {
            return None;
        }
        let list = if is_delete { part.delete } else { part.keep };
        let items = list?.items?;
        let target: &mut Option<ListField<RawEntry>> = if is_delete {
            &mut merged.delete
        } else {
            &mut merged.keep
        };
        target.as_mut()?.items.as_mut()?.extend(items);
    }
    Some(Ok(Some(merged)))
}

/// The byte offset of every line's start (a final LF starts no line).
fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::with_capacity(text.len() / 24);
    starts.push(0);
    starts.extend(
        text.bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i + 1)
            .filter(|&i| i < text.len()),
    );
    starts
}

/// The byte offset where line `i` starts (the text's end past the last line).
fn offset(starts: &[usize], i: usize, text: &str) -> usize {
    starts.get(i).copied().unwrap_or(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(entries: usize, tail: &str) -> String {
        let mut t = String::from("# header\nversion: 1\ndelete:\n");
        for i in 0..entries {
            t.push_str(&format!("  - videoId: {i:032x}\n"));
            if i % 3 == 0 {
                t.push_str(
                    "    reason: licence expired (LEGAL-1234)\n    # a comment - videoId: x\n",
                );
            }
        }
        t.push_str(tail);
        t
    }

    fn same(text: &str, parts: usize) -> bool {
        let whole = format!("{:?}", raw::parse(text, true).map_err(|e| e.message));
        match parse_split_from(text, true, parts, 0) {
            None => false,
            Some(split) => {
                assert_eq!(format!("{:?}", split.map_err(|e| e.message)), whole);
                true
            }
        }
    }

    #[test]
    fn split_parse_equals_whole_parse() {
        let text = big(
            3_000,
            "keep:\n  - videoId: ffff\nlimits:\n  maxDeletes: 9\n",
        );
        for parts in [2, 3, 7] {
            assert!(same(&text, parts), "this shape splits");
        }
        let compact = "version: 1\ndelete:\n- videoId: a1\n  reason: x\n- videoId: a2\n- videoId: a3\n- videoId: a4\nkeep:\n- videoId: b\n";
        assert!(same(compact, 2));
        // The real size threshold: small files are parsed whole.
        assert!(parse_split(&text, false, 2).is_none());
    }

    #[test]
    fn anything_that_could_span_lines_is_parsed_whole() {
        let issue_9 = [
            // A lone CR is a line break to YAML: `keep:` here is a top-level key.
            big(100, "  - videoId: last\rkeep:\r  - videoId: kept\n"),
            // A quoted string continues across lines that look like items.
            big(
                100,
                "  - videoId: q\n    reason: \"start\n  - videoId: in-the-string\n  end\"\n",
            ),
            big(100, "  - videoId: &a anchored\n  - videoId: *a\n"),
            big(100, "  - videoId: !!binary YWJj\n"),
            big(100, "  - videoId: [flow,\n  - videoId: x]\n"),
            big(100, "  - reason: |\n  - videoId: in-a-block\n"),
            big(100, "\tkeep: x\n"),
            big(100, "---\nversion: 1\n"),
            big(100, "  - videoId: no-final-newline"),
            big(100, "  - videoId: plain\n    continued\n"),
        ];
        for text in &issue_9 {
            assert!(parse_split_from(text, false, 2, 0).is_none(), "{text:?}");
        }
    }

    #[test]
    fn the_line_grammar() {
        assert_eq!(classify(b""), Some(Line::Blank));
        assert_eq!(classify(b"   # - videoId: \"x"), Some(Line::Comment));
        assert_eq!(
            classify(b"delete:"),
            Some(Line::TopKey {
                key_end: 6,
                bare: true
            })
        );
        assert_eq!(
            classify(b"  - videoId: abc"),
            Some(Line::ItemKey { indent: 2 })
        );
        assert_eq!(
            classify(b"    reason: a (b) c"),
            Some(Line::Field { indent: 4 })
        );
        assert_eq!(classify(b"  - Normal"), Some(Line::ItemScalar));
        for bad in [
            &b"  - videoId: 'x'"[..],
            b"  - videoId: \"x",
            b"    reason: a: b",
            b"    reason: a # c",
            b"    reason: |",
            b"    reason: >-",
            b"  - videoId: &a x",
            b"  - videoId: *a",
            b"  - videoId: !t x",
            b"  - {videoId: x}",
            b"  - [x]",
            b"  -",
            b"  continued plain",
            b"---",
            b"%YAML 1.2",
            b"? complex",
        ] {
            assert_eq!(classify(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
