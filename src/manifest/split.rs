//! Parsing one large manifest on all cores.
//!
//! A manifest of a million IDs is one long block sequence under `delete:` (or `keep:`). Its items
//! are independent, so the list is cut at item boundaries into chunks that are parsed in
//! parallel and merged in order. Every chunk keeps the original line numbers (the lines before it
//! are replaced by empty lines, which the parser skips cheaply) and columns (lines are not
//! changed), so positions are exactly those of a whole-file parse.
//!
//! Why a cut is safe: a cut is made only at a line that starts, at the list's own indentation,
//! with `- `. Such a line cannot be inside a block scalar, a multi-line quoted or plain scalar or
//! a flow collection of the previous item: all of those must be indented further (YAML 1.2 §8,
//! §7), or the file is not valid YAML. Whatever is unusual (several documents, aliases across
//! chunks, odd indentation) makes a chunk fail to parse, and then the whole file is parsed the
//! ordinary way, so a cut can cost time but never change a result.

use super::raw::{self, ListField, RawEntry, RawManifest, SyntaxError};

/// Files smaller than this are parsed whole: splitting would not pay.
pub const SPLIT_THRESHOLD: usize = 4 << 20;

/// One top-level key's line.
struct TopKey<'a> {
    name: &'a str,
    line: usize,
    bare: bool,
}

/// Parses `text` in `parts` parallel chunks if its shape allows; None means "parse it whole".
pub fn parse_split(
    text: &str,
    precise: bool,
    parts: usize,
) -> Option<Result<Option<RawManifest>, SyntaxError>> {
    if parts < 2 || text.len() < SPLIT_THRESHOLD {
        return None;
    }
    let starts = line_starts(text);
    let line = |i: usize| -> &str {
        let end = starts.get(i + 1).map_or(text.len(), |e| e - 1);
        text[starts[i]..end].trim_end_matches('\r')
    };
    let n_lines = starts.len();
    // The top-level keys, in order; a document marker means "not for us".
    let mut keys: Vec<TopKey<'_>> = Vec::new();
    for i in 0..n_lines {
        let l = line(i);
        if l.is_empty() || l.starts_with(' ') || l.starts_with('#') {
            continue;
        }
        if l.starts_with("---") || l.starts_with("...") || l.starts_with('\t') {
            return None;
        }
        let (name, rest) = l.split_once(':')?;
        let rest = rest.trim_start();
        keys.push(TopKey {
            name: name.trim(),
            line: i,
            bare: rest.is_empty() || rest.starts_with('#'),
        });
    }
    // The largest list section.
    let (k, key) = keys
        .iter()
        .enumerate()
        .filter(|(_, k)| k.bare && (k.name == "delete" || k.name == "keep"))
        .max_by_key(|(i, k)| keys.get(i + 1).map_or(n_lines, |n| n.line) - k.line)?;
    let section_end = keys.get(k + 1).map_or(n_lines, |n| n.line);
    let first = (key.line + 1..section_end).find(|&i| {
        let l = line(i).trim_start();
        !l.is_empty() && !l.starts_with('#')
    })?;
    let indent = line(first).len() - line(first).trim_start_matches(' ').len();
    let item_prefix = format!("{}- ", " ".repeat(indent));
    let bare_item = format!("{}-", " ".repeat(indent));
    let mut items = Vec::new();
    for i in first..section_end {
        let l = line(i);
        if l.starts_with(&item_prefix) || l == bare_item {
            items.push(i);
            continue;
        }
        let trimmed = l.trim_start_matches(' ');
        let this_indent = l.len() - trimmed.len();
        if !trimmed.is_empty() && !trimmed.starts_with('#') && this_indent <= indent {
            return None; // not a plain block sequence at one indentation
        }
    }
    if items.len() < parts * 2 {
        return None;
    }
    let cuts: Vec<usize> = (1..parts).map(|p| items[p * items.len() / parts]).collect();
    // Chunk 0: everything but the cut-out part of the list, which becomes empty lines.
    let mut head = String::with_capacity(
        starts[cuts[0]]
            + (section_end - cuts[0])
            + (text.len() - offset(&starts, section_end, text)),
    );
    head.push_str(&text[..starts[cuts[0]]]);
    head.extend(std::iter::repeat_n('\n', section_end - cuts[0]));
    head.push_str(&text[offset(&starts, section_end, text)..]);
    let mut chunks = vec![head];
    for (c, &from) in cuts.iter().enumerate() {
        let to = cuts.get(c + 1).copied().unwrap_or(section_end);
        let mut chunk = String::with_capacity(
            key.name.len() + 2 + from + (offset(&starts, to, text) - starts[from]),
        );
        chunk.push_str(key.name);
        chunk.push_str(":\n");
        chunk.extend(std::iter::repeat_n('\n', from - 1));
        chunk.push_str(&text[starts[from]..offset(&starts, to, text)]);
        chunks.push(chunk);
    }
    let results: Vec<Result<Option<RawManifest>, SyntaxError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|c| scope.spawn(move || raw::parse(c, precise)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a parse never panics"))
            .collect()
    });
    let mut results = results.into_iter();
    let mut merged = results.next()?.ok()??;
    let is_delete = key.name == "delete";
    for r in results {
        let part = r.ok()??;
        let clean = part.version.is_none()
            && part.region.is_none()
            && part.limits.is_none()
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

fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::with_capacity(text.len() / 24);
    starts.push(0);
    starts.extend(
        memchr_newlines(text.as_bytes())
            .map(|i| i + 1)
            .filter(|&i| i < text.len()),
    );
    starts
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
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
                t.push_str("    reason: |\n      multi-line\n      - not an item\n");
            }
        }
        t.push_str(tail);
        t
    }

    fn delete_items(m: &RawManifest) -> &[raw::Item<RawEntry>] {
        m.delete.as_ref().map(ListField::items).unwrap_or_default()
    }

    fn summary(m: &RawManifest) -> Vec<(String, u32, u32)> {
        delete_items(m)
            .iter()
            .map(|e| {
                (
                    e.value
                        .video_id
                        .as_ref()
                        .and_then(|f| f.text())
                        .unwrap()
                        .to_string(),
                    e.pos.line,
                    e.pos.column,
                )
            })
            .collect()
    }

    #[test]
    fn split_parse_equals_whole_parse() {
        let text = big(
            120_000,
            "keep:\n  - videoId: ffff\nlimits:\n  maxDeletes: 9\n",
        );
        assert!(text.len() > SPLIT_THRESHOLD);
        for precise in [false, true] {
            let whole = raw::parse(&text, precise).unwrap().unwrap();
            let split = parse_split(&text, precise, 3)
                .expect("this shape splits")
                .unwrap()
                .unwrap();
            assert_eq!(summary(&whole), summary(&split));
            assert_eq!(
                split.keep.as_ref().unwrap().items()[0].pos,
                whole.keep.as_ref().unwrap().items()[0].pos
            );
            assert_eq!(split.limits.is_some(), whole.limits.is_some());
            let reasons = |m: &RawManifest| {
                delete_items(m)
                    .iter()
                    .filter(|e| e.value.reason.is_some())
                    .count()
            };
            assert_eq!(reasons(&split), 40_000);
        }
    }

    #[test]
    fn unusual_shapes_are_parsed_whole() {
        // An alias across a cut makes a chunk fail: the caller parses the whole file.
        let mut text = big(120_000, "");
        text = text.replacen(
            "  - videoId: 00000000000000000000000000000001",
            "  - videoId: &a 00000000000000000000000000000001",
            1,
        );
        text.push_str("  - videoId: *a\n");
        assert!(parse_split(&text, false, 2).is_none());
        // Small files and flow lists are not split.
        assert!(parse_split("version: 1\ndelete: []\n", false, 2).is_none());
        let multi = format!("{}---\nversion: 1\n", big(120_000, ""));
        assert!(parse_split(&multi, false, 2).is_none());
    }
}
