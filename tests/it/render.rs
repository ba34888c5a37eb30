//! The review surface cannot be forged. Uploaders control titles and manifest
//! authors control reasons, selectors and file names: whatever they write, the text plan at a
//! terminal and the markdown PR comment show it as literal, visible text, on its own line or in its
//! own cell. Each test runs the real binary against the emulator and asserts the whole output.

use crate::harness::{Dir, Emulator, stable};
use crate::test::Test;

/// A title that, unescaped, ends the table row and draws "## All clear" and a link into the
/// comment; another that moves the cursor up and erases the line at a terminal; and one that
/// reverses the text around it with U+202E.
const CATALOG: &str = r#"videos:
  - videoId: 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910
    title: "x\r\r## All clear, nothing will be deleted\r\r[details](https://evil.example/ok) <!-- hide -->|`a`|"
    status: Normal
    size: 1048576
  - videoId: 3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e
    title: "\e[1A\e[2KNothing to delete\e[8m"
    status: Normal
    size: 1048576
  - videoId: 7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b
    title: "legal \u202Edloh\u202C @team #1 www.evil.example **hold**"
    status: Normal
    size: 1048576
  - videoId: 4c3d2e1f0a9b4c8d9e7f6a5b4c3d2e1f
    title: "\e]0;pwned\a tmp"
    status: Normal
    size: 1048576
"#;

const MANIFEST: &str = r#"version: 1
delete:
  - videoId: 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910
    reason: "ok\n\n# Plan: 0 videos to delete\e[0m\u200B"
  - videoId: 3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e
    reason: "a\\b \e]8;;https://evil.example\e\\link\e]8;;\e\\"
  - match: { titlePrefix: "legal \u202E" }
  - match: { titlePrefix: "\e]0;" }
    reason: "*not* a | cell"
keep:
  - videoId: 7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b
"#;

fn hostile() -> (Dir, Emulator) {
    let dir = Dir::new();
    dir.write("m.yaml", MANIFEST);
    let emu = Emulator::start(&dir, CATALOG, &[]);
    (dir, emu)
}

#[test]
fn hostile_titles_and_reasons_are_visible_escapes_in_the_text_plan() {
    let (dir, emu) = hostile();
    // stdout is checked exactly by the snapshot below.
    let r = Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "m.yaml"])
        .ignore_stdout()
        .stderr("Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n")
        .run();
    assert!(
        !r.stdout.chars().any(|c| c.is_control() && c != '\n'),
        "no control character reaches the terminal"
    );
    insta::assert_snapshot!(stable(&r.stdout, &emu), @r###"
    vodplan will permanently delete these videos in cn-shanghai (http://127.0.0.1:PORT):
    source files, transcoded streams and thumbnails are removed and cannot be recovered.

      - 2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910  "x\r\r## All clear, nothing will be deleted\r\r[details](https://evil.example/ok) <!-- hide -->|`a`|"  Normal  1.0 MiB  2024-01-01  Standard  m.yaml:3
          reason: ok\n\n# Plan: 0 videos to delete\u{1b}[0m\u{200b}
      - 3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e  "\u{1b}[1A\u{1b}[2KNothing to delete\u{1b}[8m"  Normal  1.0 MiB  2024-01-01  Standard  m.yaml:5
          reason: a\\b \u{1b}]8;;https://evil.example\u{1b}\\link\u{1b}]8;;\u{1b}\\
      - 4c3d2e1f0a9b4c8d9e7f6a5b4c3d2e1f  "\u{1b}]0;pwned\u{7} tmp"  Normal  1.0 MiB  2024-01-01  Standard  m.yaml:8
          reason: *not* a | cell
          selected by: match {title starts with "\\u{1b}]0;"}

    Protected by keep (never deleted):
      = 7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b  "legal \u{202e}dloh\u{202c} @team #1 www.evil.example **hold**"  kept by m.yaml:11 (selected by m.yaml:7)

    Breakdown of the deletions:
      by delete entry:
        videoId entries (m.yaml): 2 videos 2.0 MiB, created 2024-01-01T00:00:00Z
        match {title starts with "\\u{1b}]0;"} (m.yaml:8): 1 video 1.0 MiB, created 2024-01-01T00:00:00Z
      by status:
        Normal: 3 videos 3.0 MiB, created 2024-01-01T00:00:00Z
      by category:
        none: 3 videos 3.0 MiB, created 2024-01-01T00:00:00Z
      by creation year:
        2024: 3 videos 3.0 MiB, created 2024-01-01T00:00:00Z
      by storage class:
        Standard: 3 videos 3.0 MiB, created 2024-01-01T00:00:00Z
      protected, by keep entry:
        m.yaml:11: 1 video

    Plan: 3 videos to delete (3.0 MiB), 1 protected, 0 absent.
    Plan digest: DIGEST  (region cn-shanghai, the default; the manifests name none)
    "###);
}

#[test]
fn hostile_titles_and_reasons_stay_literal_cells_in_the_markdown_plan() {
    let (dir, emu) = hostile();
    // stdout is checked exactly by the snapshot below.
    let r = Test::in_dir(&dir)
        .against(&emu)
        .args(["plan", "m.yaml", "--format", "markdown"])
        .ignore_stdout()
        .stderr("Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\n")
        .run();
    assert!(!r.stdout.contains('\r'));
    assert!(
        !r.stdout
            .lines()
            .any(|l| l.starts_with('#') && !l.starts_with("### vodplan plan")),
        "no heading but vodplan's own"
    );
    insta::assert_snapshot!(stable(&r.stdout, &emu), @r###"
    <!-- vodplan-plan -->
    ### vodplan plan: `cn-shanghai`

    Plan digest: `DIGEST` (region `cn-shanghai`, the default; the manifests name none)

    | to delete | protected | absent | size |
    |---:|---:|---:|---:|
    | 3 | 1 | 0 | 3.0 MiB |

    **Breakdown** (every count exact)

    | delete entry | source | videos | size | oldest | newest |
    |---|---|---:|---:|---|---|
    | videoId entries | m.yaml | 2 | 2.0 MiB | `2024-01-01T00:00:00Z` | `2024-01-01T00:00:00Z` |
    | match {title starts with "\\\\u{1b}\]0;"} | m.yaml:8 | 1 | 1.0 MiB | `2024-01-01T00:00:00Z` | `2024-01-01T00:00:00Z` |

    | status | videos | size | oldest | newest |
    |---|---:|---:|---|---|
    | Normal | 3 | 3.0 MiB | `2024-01-01T00:00:00Z` | `2024-01-01T00:00:00Z` |

    | category | videos | size | oldest | newest |
    |---|---:|---:|---|---|
    | none | 3 | 3.0 MiB | `2024-01-01T00:00:00Z` | `2024-01-01T00:00:00Z` |

    | created in | videos | size | oldest | newest |
    |---|---:|---:|---|---|
    | 2024 | 3 | 3.0 MiB | `2024-01-01T00:00:00Z` | `2024-01-01T00:00:00Z` |

    | storage class | videos | size | oldest | newest |
    |---|---:|---:|---|---|
    | Standard | 3 | 3.0 MiB | `2024-01-01T00:00:00Z` | `2024-01-01T00:00:00Z` |

    | keep entry | protected |
    |---|---:|
    | m.yaml:11 | 1 |

    <details><summary>Deletions (3)</summary>

    | video | title | status | size | created | category | storage class | tags | reason | entry |
    |---|---|---|---:|---|---:|---|---|---|---|
    | `2f1a0c0e9b8d4c2f8a7e6d5c4b3a2910` | x\\r\\r\#\# All clear, nothing will be deleted\\r\\r\[details\](https\://evil.example/ok) \<\!-- hide --\>\|\`a\`\| | Normal | 1.0 MiB | `2024-01-01T00:00:00Z` |  | Standard |  | ok\\n\\n\# Plan\: 0 videos to delete\\u{1b}\[0m\\u{200b} | m.yaml:3 |
    | `3b2c1d0e9f8a4b7c8d6e5f4a3b2c1d0e` | \\u{1b}\[1A\\u{1b}\[2KNothing to delete\\u{1b}\[8m | Normal | 1.0 MiB | `2024-01-01T00:00:00Z` |  | Standard |  | a\\\\b \\u{1b}\]8;;https\://evil.example\\u{1b}\\\\link\\u{1b}\]8;;\\u{1b}\\\\ | m.yaml:5 |
    | `4c3d2e1f0a9b4c8d9e7f6a5b4c3d2e1f` | \\u{1b}\]0;pwned\\u{7} tmp | Normal | 1.0 MiB | `2024-01-01T00:00:00Z` |  | Standard |  | \*not\* a \| cell | m.yaml:8 |

    </details>

    <details><summary>Protected by keep (1)</summary>

    | video | title | keep entry |
    |---|---|---|
    | `7c3e9a10b2d44f6e8a1b2c3d4e5f6a7b` | legal \\u{202e}dloh\\u{202c} \@team \#1 www\.evil.example \*\*hold\*\* | kept by m.yaml:11 |

    </details>
    "###);
}
