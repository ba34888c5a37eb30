//! Untrusted text made harmless for the medium it is shown in.
//!
//! The review surface is the product: a reviewer approves what the plan *shows*. Most of what it
//! shows is written by someone else: video titles by whoever uploaded the video, reasons and
//! selectors by whoever wrote the manifest, error messages by the server, file names by the pull
//! request's author. If any of them can draw a heading ("## All clear, nothing will be deleted"),
//! a link, a hidden HTML comment, an extra table row, or (at a terminal) move the cursor and
//! overwrite the line above, the plan can lie. So every untrusted string goes through this module,
//! and every renderer uses it:
//!
//! - [`visible`]: the characters a person cannot see or that act on the display instead of being
//!   shown (C0/C1 controls, DEL, CR/LF/TAB, ANSI escapes, bidirectional overrides and isolates such
//!   as U+202E, zero-width and other invisible format characters, Unicode tag characters) become
//!   visible escapes in Rust's notation (`\u{1b}`, `\r`), and a backslash becomes `\\`, so that an
//!   escape can never be confused with text that merely looks like one. This is the terminal form.
//! - [`markdown`]: the visible form, cut to a length, with every character that can open a
//!   CommonMark/GFM inline construct backslash-escaped (CommonMark 0.31 §2.4: any ASCII
//!   punctuation may be escaped and then renders as itself), so it can be a table cell or a list
//!   item and stay one line of literal text: no emphasis, code span, link, image, autolink
//!   (`https://`, `www.`, e-mail), raw HTML or comment, entity, table pipe, strikethrough,
//!   `$math$`, `@mention`, `#123` reference or `:emoji:`. Block constructs (`#` headings, lists,
//!   quotes) need a line start, which the visible form never contains.
//! - JSON needs nothing: serde_json escapes control characters and the reader is a program.

use std::fmt::Write;

/// How many characters of one untrusted string a markdown cell shows, before `…`.
pub const MARKDOWN_CELL_CHARS: usize = 200;

/// Whether `c` is shown as an escape instead of itself: controls, and the format characters that
/// are invisible or reorder the text around them.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}'                      // soft hyphen
            | '\u{034F}'                    // combining grapheme joiner
            | '\u{061C}'                    // Arabic letter mark (bidi)
            | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers (blank)
            | '\u{17B4}' | '\u{17B5}'       // Khmer inherent vowels (invisible)
            | '\u{180B}'..='\u{180F}'       // Mongolian variation selectors, vowel separator
            | '\u{200B}'..='\u{200F}'       // zero-width space/joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}'       // line and paragraph separators
            | '\u{202A}'..='\u{202E}'       // bidi embeddings and overrides (U+202E RLO)
            | '\u{2060}'..='\u{206F}'       // word joiner, invisible operators, bidi isolates
            | '\u{FEFF}'                    // zero-width no-break space (BOM)
            | '\u{FFF9}'..='\u{FFFB}'       // interlinear annotations
            | '\u{1D173}'..='\u{1D17A}'     // musical formatting (invisible)
            | '\u{E0000}'..='\u{E007F}'     // tag characters ("ASCII smuggling")
            | '\u{E0100}'..='\u{E01EF}'     // variation selectors supplement
        )
}

/// `s` with every hidden character as a visible escape and `\` as `\\`; what a terminal shows.
pub fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_visible(&mut out, s);
    out
}

fn push_visible(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// `s` in double quotes for a terminal line, with `"` escaped as well, so a title cannot close
/// its own quotes and look like two fields.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for part in s.split('"').enumerate() {
        if part.0 > 0 {
            out.push_str("\\\"");
        }
        push_visible(&mut out, part.1);
    }
    out.push('"');
    out
}

/// `s` as one line of literal markdown text (a table cell or a list item), at most
/// [`MARKDOWN_CELL_CHARS`] characters of it, then `…`.
pub fn markdown(s: &str) -> String {
    let mut cut: String = s.chars().take(MARKDOWN_CELL_CHARS).collect();
    let truncated = cut.len() < s.len();
    cut = visible(&cut);
    let mut out = String::with_capacity(cut.len() + 8);
    let mut recent = ['\0'; 3];
    for c in cut.chars() {
        let www_dot = c == '.' && recent.iter().all(|r| r.eq_ignore_ascii_case(&'w'));
        if www_dot
            || matches!(
                c,
                '\\' | '`'
                    | '*'
                    | '_'
                    | '~'
                    | '['
                    | ']'
                    | '<'
                    | '>'
                    | '&'
                    | '|'
                    | '!'
                    | '@'
                    | '#'
                    | ':'
                    | '$'
            )
        {
            out.push('\\');
        }
        out.push(c);
        recent = [recent[1], recent[2], c];
    }
    if truncated {
        out.push('…');
    }
    out
}

/// An identifier in a code span when it is plain (letters, digits, `-`, `_`, `.`), else as
/// [`markdown`] text: a backtick or anything else unusual cannot end the span early.
pub fn markdown_code(s: &str) -> String {
    let plain = !s.is_empty()
        && s.len() <= MARKDOWN_CELL_CHARS
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain { format!("`{s}`") } else { markdown(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_escapes_what_acts_on_the_display() {
        assert_eq!(
            visible("a\x1b[2K\x1b[1Ab\r\nc\td\u{7f}\u{85}"),
            r"a\u{1b}[2K\u{1b}[1Ab\r\nc\td\u{7f}\u{85}"
        );
        assert_eq!(
            visible("evil\u{202e}gpj.exe\u{200b}\u{2066}\u{e0041}"),
            r"evil\u{202e}gpj.exe\u{200b}\u{2066}\u{e0041}"
        );
        assert_eq!(
            visible(r"a\u{1b}"),
            r"a\\u{1b}",
            "a backslash is not an escape"
        );
        assert_eq!(
            visible("视频 café 🎬"),
            "视频 café 🎬",
            "printable text is kept"
        );
    }

    #[test]
    fn quoted_titles_cannot_close_their_quotes() {
        assert_eq!(quoted(r#"a"  Normal  "b"#), r#""a\"  Normal  \"b""#);
    }

    #[test]
    fn markdown_escapes_every_inline_construct() {
        assert_eq!(
            markdown(
                "**b** _i_ `c` ~~s~~ [l](https://x.io) ![i](y) <!-- h --> &amp; | $m$ @u #1 :e: www.x.io"
            ),
            r"\*\*b\*\* \_i\_ \`c\` \~\~s\~\~ \[l\](https\://x.io) \!\[i\](y) \<\!-- h --\> \&amp; \| \$m\$ \@u \#1 \:e\: www\.x.io"
        );
        assert_eq!(markdown("WwW.x"), r"WwW\.x");
    }

    #[test]
    fn markdown_is_cut_by_characters_not_inside_an_escape() {
        let long = "é".repeat(MARKDOWN_CELL_CHARS - 1) + "\u{1b}xyz";
        let md = markdown(&long);
        assert!(md.ends_with("é\\\\u{1b}…"), "{md}");
        assert_eq!(markdown(&"a".repeat(MARKDOWN_CELL_CHARS)), "a".repeat(200));
    }

    #[test]
    fn markdown_code_only_for_plain_identifiers() {
        assert_eq!(markdown_code("promo-2023_01.a"), "`promo-2023_01.a`");
        assert_eq!(markdown_code("a`b"), r"a\`b");
        assert_eq!(markdown_code(""), "");
    }

    /// Reads the visible form back: proof that two different strings never look the same.
    fn unvisible(v: &str) -> String {
        let mut out = String::new();
        let mut it = v.chars();
        while let Some(c) = it.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match it.next().unwrap() {
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    assert_eq!(it.next(), Some('{'));
                    let hex: String = it.by_ref().take_while(|&c| c != '}').collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
                }
                other => panic!("unknown escape \\{other}"),
            }
        }
        out
    }

    /// Characters that make the strategies hostile: controls, bidi, invisible, markdown.
    fn hostile() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(vec![
                    '\n',
                    '\r',
                    '\t',
                    '\x1b',
                    '\x07',
                    '\x7f',
                    '\u{85}',
                    '\u{202e}',
                    '\u{2066}',
                    '\u{200b}',
                    '\u{feff}',
                    '\u{e0041}',
                    '\u{2028}',
                    '\\',
                    '`',
                    '*',
                    '_',
                    '[',
                    ']',
                    '(',
                    ')',
                    '<',
                    '>',
                    '!',
                    '&',
                    '|',
                    '#',
                    '@',
                    ':',
                    '$',
                    '~',
                    'w',
                    '.',
                    '"',
                    '{',
                    '}',
                    'u',
                ]),
                proptest::char::any(),
            ],
            0..300,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_visible_form_hides_nothing_and_is_unambiguous(s in hostile()) {
            let v = visible(&s);
            prop_assert!(!v.chars().any(is_hidden), "{v:?}");
            prop_assert_eq!(unvisible(&v), s);
        }

        #[test]
        fn a_markdown_cell_is_one_line_with_every_metacharacter_escaped(s in hostile()) {
            let md = markdown(&s);
            prop_assert!(!md.chars().any(is_hidden), "{md:?}");
            let mut escaped = false;
            for c in md.chars() {
                if !escaped {
                    prop_assert!(!"`*_~[]<>&|!@#:$".contains(c), "unescaped {c:?} in {md:?}");
                }
                escaped = !escaped && c == '\\';
            }
            prop_assert!(!escaped, "a cell never ends in a lone backslash: {md:?}");
            prop_assert!(md.chars().count() <= MARKDOWN_CELL_CHARS * 12 + 1);
        }
    }
}
