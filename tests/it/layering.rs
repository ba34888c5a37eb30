//! The house's layering, enforced: no file-level import cycle in `src/`, and each layer only uses
//! the layers below it.
//!
//! Why a test and not a convention: a cycle or an upward import compiles fine, and each one makes
//! the next change harder to reason about (the planner that reaches into the executor, the
//! emulator that checks signatures with the client's own code so a shared bug passes both sides).
//! The compiler cannot see it; this scanner can, and names the files.
//!
//! The scanner is deliberately simple: it strips comments, string and char literals and
//! `#[cfg(test)] mod ... { }` blocks (unit tests may reach anywhere), then reads every path that
//! starts with `crate::`, `super::`, `self::`, a child module's name, or (in the binary)
//! `vodplan::`, including `use` trees with `{...}` groups. A path is resolved to the file of the
//! longest module prefix, following `pub use` re-exports so that `super::Outcome` in a sibling
//! points at the file that defines `Outcome`, not at the `mod.rs` that re-exports it.
//!
//! The layers, bottom up (see `CONTRIBUTING.md`):
//!
//! | rank | modules | may use |
//! |---|---|---|
//! | 0 | `ids`, `timefmt`, `progress` (shared utilities, depend on nothing) | rank 0 |
//! | 1 | `manifest` | ranks 0-1 |
//! | 2 | `vod` | ranks 0-2 |
//! | 3 | `state`, `selector` | ranks 0-3 |
//! | 4 | `plan` | ranks 0-4 |
//! | 5 | `apply` | ranks 0-5 |
//! | 6 | `render` | ranks 0-6 |
//! | 7 | the binary: `src/main.rs`, `src/cli/` | everything |
//! | - | `emulator` | itself, `timefmt`, `progress`: nothing of the client |

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which crate a file belongs to: the library (`src/lib.rs`) or the binary (`src/main.rs`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Krate {
    Lib,
    Bin,
}

type ModPath = Vec<String>;

/// One source file: its path relative to the crate root directory, its module path, its cleaned
/// tokens.
struct SourceFile {
    rel: String,
    krate: Krate,
    module: ModPath,
    tokens: Vec<String>,
}

/// Everything scanned from one `src/` directory.
struct Tree {
    files: Vec<SourceFile>,
    by_module: BTreeMap<(Krate, ModPath), usize>,
    /// Per file: name exported with `pub use` -> the absolute path it points at.
    reexports: Vec<BTreeMap<String, (Krate, ModPath)>>,
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `src/a/b.rs` -> (Lib, [a, b]); `src/a/mod.rs` -> (Lib, [a]); `src/cli/x.rs` -> (Bin, [cli, x]).
fn module_of(rel_to_src: &str) -> (Krate, ModPath) {
    let no_ext = rel_to_src.trim_end_matches(".rs");
    let mut segs: Vec<String> = no_ext.split('/').map(str::to_owned).collect();
    if segs.last().is_some_and(|s| s == "mod") {
        segs.pop();
    }
    match segs.as_slice() {
        [only] if only == "lib" => (Krate::Lib, vec![]),
        [only] if only == "main" => (Krate::Bin, vec![]),
        [first, ..] if first == "cli" => (Krate::Bin, segs),
        _ => (Krate::Lib, segs),
    }
}

/// Removes comments, string literals and char literals; keeps everything else.
fn strip(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && (next == Some('#') || next == Some('"')) && !ident_char_before(&b, i)
        {
            // raw string r"..." or r#"..."#
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            'scan: while j < b.len() {
                if b[j] == '"' {
                    let mut k = 0;
                    while k < hashes && b.get(j + 1 + k) == Some(&'#') {
                        k += 1;
                    }
                    if k == hashes {
                        j += 1 + hashes;
                        break 'scan;
                    }
                }
                j += 1;
            }
            i = j;
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char_before(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

fn tokenize(text: &str) -> Vec<String> {
    let b: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push(b[start..i].iter().collect());
        } else if c == ':' && b.get(i + 1) == Some(&':') {
            out.push("::".into());
            i += 2;
        } else {
            out.push(c.to_string());
            i += 1;
        }
    }
    out
}

/// Drops `#[cfg(test)] mod name { ... }` blocks: unit tests may use anything.
fn drop_test_modules(tokens: Vec<String>) -> Vec<String> {
    let pattern = ["#", "[", "cfg", "(", "test", ")", "]"];
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let is_cfg_test = tokens.len() >= i + pattern.len()
            && pattern.iter().zip(&tokens[i..]).all(|(p, t)| p == t);
        if is_cfg_test {
            // Skip the attribute, then the item it guards: up to its `;` or its balanced `{}`.
            let mut j = i + pattern.len();
            let mut depth = 0usize;
            while j < tokens.len() {
                match tokens[j].as_str() {
                    "{" => depth += 1,
                    "}" => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ";" if depth == 0 => break,
                    _ => {}
                }
                j += 1;
            }
            i = j + 1;
        } else {
            out.push(tokens[i].clone());
            i += 1;
        }
    }
    out
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Reads a path or `use` tree starting at `tokens[i]` (an identifier). Returns each leaf as its
/// segments plus the name it is bound to (the last segment, or the `as` alias).
fn read_tree(
    tokens: &[String],
    mut i: usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, String)>,
) -> usize {
    let mut segs = prefix;
    while let Some(t) = tokens.get(i) {
        if t == "{" {
            i += 1;
            loop {
                match tokens.get(i).map(String::as_str) {
                    Some("}") => {
                        i += 1;
                        break;
                    }
                    Some(",") => i += 1,
                    Some(t) if is_ident(t) || t == "{" || t == "*" => {
                        i = read_tree(tokens, i, segs.clone(), out);
                    }
                    _ => return i,
                }
            }
            return i;
        }
        if t == "*" {
            return i + 1;
        }
        if !is_ident(t) {
            break;
        }
        if t == "self"
            && !segs.is_empty()
            && tokens
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p == "{" || p == ",")
        {
            // `use a::{self}` binds `a` itself.
        } else {
            segs.push(t.clone());
        }
        i += 1;
        if tokens.get(i).is_some_and(|t| t == "::") {
            i += 1;
            continue;
        }
        break;
    }
    let mut name = segs.last().cloned().unwrap_or_default();
    if tokens.get(i).is_some_and(|t| t == "as") {
        if let Some(alias) = tokens.get(i + 1) {
            name = alias.clone();
        }
        i += 2;
    }
    if !segs.is_empty() {
        out.push((segs, name));
    }
    i
}

impl Tree {
    fn scan(src: &Path) -> Tree {
        let mut paths = Vec::new();
        rs_files(src, &mut paths);
        let mut files = Vec::new();
        let mut by_module = BTreeMap::new();
        for p in paths {
            let rel = p
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let (krate, module) = module_of(&rel);
            let text = std::fs::read_to_string(&p).unwrap();
            let tokens = drop_test_modules(tokenize(&strip(&text)));
            by_module.insert((krate, module.clone()), files.len());
            files.push(SourceFile {
                rel: format!("src/{rel}"),
                krate,
                module,
                tokens,
            });
        }
        let mut tree = Tree {
            files,
            by_module,
            reexports: Vec::new(),
        };
        tree.reexports = (0..tree.files.len())
            .map(|f| tree.reexports_of(f))
            .collect();
        tree
    }

    /// Every path in file `f` that names something of this crate (or, from the binary, of the
    /// library), as absolute (crate, segments), together with whether it sits in a `pub use`.
    fn references(&self, f: usize) -> Vec<(Krate, Vec<String>, String, bool)> {
        let file = &self.files[f];
        let t = &file.tokens;
        let mut out = Vec::new();
        let mut i = 0;
        while i < t.len() {
            let prev = if i == 0 { "" } else { t[i - 1].as_str() };
            let starts_path =
                is_ident(&t[i]) && t.get(i + 1).is_some_and(|n| n == "::") && prev != "::";
            if !starts_path {
                i += 1;
                continue;
            }
            // Is this path the start of a `pub use` (a re-export)?
            let mut k = i;
            let mut in_pub_use = false;
            if k > 0 && t[k - 1] == "use" {
                k -= 1;
                let before = &t[..k];
                in_pub_use = before.last().is_some_and(|x| x == "pub")
                    || (before.len() >= 4
                        && before[before.len() - 1] == ")"
                        && before[before.len() - 4] == "pub");
            }
            let mut leaves = Vec::new();
            let next = read_tree(t, i, Vec::new(), &mut leaves);
            for (segs, name) in leaves {
                if let Some((krate, abs)) = self.absolute(file, &segs) {
                    out.push((krate, abs, name, in_pub_use));
                }
            }
            i = next.max(i + 1);
        }
        out
    }

    /// Turns a path as written in `file` into an absolute one, or `None` for external crates.
    fn absolute(&self, file: &SourceFile, segs: &[String]) -> Option<(Krate, Vec<String>)> {
        let first = segs[0].as_str();
        let rest = &segs[1..];
        match first {
            "crate" => Some((file.krate, rest.to_vec())),
            "vodplan" if file.krate == Krate::Bin => Some((Krate::Lib, rest.to_vec())),
            "self" => Some((file.krate, [file.module.clone(), rest.to_vec()].concat())),
            "super" => {
                let mut base = file.module.clone();
                let mut rest = segs;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                Some((file.krate, [base, rest.to_vec()].concat()))
            }
            child => {
                let mut m = file.module.clone();
                m.push(child.to_owned());
                self.by_module
                    .contains_key(&(file.krate, m.clone()))
                    .then(|| (file.krate, [m, rest.to_vec()].concat()))
            }
        }
    }

    fn reexports_of(&self, f: usize) -> BTreeMap<String, (Krate, ModPath)> {
        self.references(f)
            .into_iter()
            .filter(|r| r.3)
            .map(|(k, abs, name, _)| (name, (k, abs)))
            .collect()
    }

    /// The file an absolute path lands in: the longest module prefix, then through `pub use`.
    fn resolve(&self, krate: Krate, abs: &[String], depth: usize) -> Option<usize> {
        let n = (0..=abs.len())
            .rev()
            .find(|&n| self.by_module.contains_key(&(krate, abs[..n].to_vec())))?;
        let f = self.by_module[&(krate, abs[..n].to_vec())];
        if n < abs.len()
            && depth < 8
            && let Some((k2, target)) = self.reexports.get(f).and_then(|r| r.get(&abs[n]))
        {
            let mut next = target.clone();
            next.extend_from_slice(&abs[n + 1..]);
            if let Some(g) = self.resolve(*k2, &next, depth + 1) {
                return Some(g);
            }
        }
        Some(f)
    }

    /// The file-level graph: file -> files it uses (not itself, not the crate roots).
    /// Each edge keeps the first path that made it, to name it in a failure.
    fn graph(&self) -> Vec<BTreeMap<usize, String>> {
        (0..self.files.len())
            .map(|f| {
                let mut edges = BTreeMap::new();
                // A `pub use` is a name the module offers, not code that uses it: it is
                // followed when resolving, and the edge goes from the user to the definer.
                for (k, abs, _, _) in self.references(f).into_iter().filter(|r| !r.3) {
                    if let Some(g) = self.resolve(k, &abs, 0)
                        && g != f
                        && !self.files[g].module.is_empty()
                    {
                        edges.entry(g).or_insert_with(|| abs.join("::"));
                    }
                }
                edges
            })
            .collect()
    }
}

/// The cycles of the graph, one per strongly connected component of two or more files, each
/// written as a path `a -> b -> ... -> a`.
fn cycles(tree: &Tree, graph: &[BTreeMap<usize, String>]) -> Vec<String> {
    // Tarjan's algorithm, iterative enough for a few hundred files.
    struct St<'a> {
        g: &'a [BTreeMap<usize, String>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        sccs: Vec<Vec<usize>>,
    }
    fn visit(s: &mut St, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on[v] = true;
        for &w in s.g[v].keys() {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on[w] => s.low[v] = s.low[v].min(iw),
                _ => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on[w] = false;
                scc.push(w);
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                s.sccs.push(scc);
            }
        }
    }
    let n = graph.len();
    let mut s = St {
        g: graph,
        index: vec![None; n],
        low: vec![0; n],
        on: vec![false; n],
        stack: Vec::new(),
        next: 0,
        sccs: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    // Name one concrete cycle per component: a shortest way back to its first file.
    s.sccs
        .iter()
        .map(|scc| {
            let members: BTreeSet<usize> = scc.iter().copied().collect();
            let start = *members.iter().min_by_key(|&&f| &tree.files[f].rel).unwrap();
            let mut prev = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start]);
            let mut found = None;
            'bfs: while let Some(v) = queue.pop_front() {
                for &w in graph[v].keys() {
                    if !members.contains(&w) {
                        continue;
                    }
                    if w == start {
                        found = Some(v);
                        break 'bfs;
                    }
                    if let std::collections::btree_map::Entry::Vacant(e) = prev.entry(w) {
                        e.insert(v);
                        queue.push_back(w);
                    }
                }
            }
            let mut path = vec![start];
            let mut v = found.unwrap();
            while v != start {
                path.push(v);
                v = prev[&v];
            }
            path.push(start);
            let n = path.len();
            path[1..n - 1].reverse();
            let mut text = tree.files[start].rel.clone();
            for hop in path.windows(2) {
                let via = &graph[hop[0]][&hop[1]];
                text.push_str(&format!(" -({via})-> {}", tree.files[hop[1]].rel));
            }
            text
        })
        .collect()
}

/// The layer of a file (see the table in the module docs): `None` for the crate roots and the
/// emulator, which have rules of their own.
fn rank(file: &SourceFile) -> Option<u8> {
    if file.krate == Krate::Bin {
        return Some(7);
    }
    Some(match file.module.first()?.as_str() {
        "ids" | "timefmt" | "progress" => 0,
        "manifest" => 1,
        "vod" => 2,
        "state" | "selector" => 3,
        "plan" => 4,
        "apply" => 5,
        "render" => 6,
        "emulator" => return None,
        other => panic!(
            "{}: top-level module `{other}` has no layer; add it to `rank` in tests/it/layering.rs and to CONTRIBUTING.md",
            file.rel
        ),
    })
}

const SHARED: [&str; 2] = ["timefmt", "progress"];

fn layer_violations(tree: &Tree, graph: &[BTreeMap<usize, String>]) -> Vec<String> {
    let mut out = Vec::new();
    for (f, uses) in graph.iter().enumerate() {
        let from = &tree.files[f];
        for (&g, via) in uses {
            let to = &tree.files[g];
            let to_top = to.module.first().map(String::as_str).unwrap_or("");
            let from_emulator =
                from.krate == Krate::Lib && from.module.first().is_some_and(|m| m == "emulator");
            let to_emulator = to.krate == Krate::Lib && to_top == "emulator";
            let why = if from_emulator {
                (!to_emulator && !SHARED.contains(&to_top))
                    .then_some("the emulator uses nothing of the client")
            } else if to_emulator {
                (from.krate != Krate::Bin).then_some("only the binary starts the emulator")
            } else {
                match (rank(from), rank(to)) {
                    (Some(a), Some(b)) if b > a => Some("a lower layer never uses a higher one"),
                    _ => None,
                }
            };
            if let Some(why) = why {
                out.push(format!("{} uses {} ({via}): {why}", from.rel, to.rel));
            }
        }
    }
    out
}

/// The cycles known and argued for, as the test names them: none. The mechanism stays so that
/// a cycle that must be accepted is written down here with its reason. A new cycle fails the
/// test, and so does an entry here that no longer occurs (the list stays true).
///
/// (The last one, `vod/credentials/cli_profile.rs` <-> `vod/credentials/mod.rs`, went when the
/// shared error, key and environment types moved below the providers and the `Provider` enum to
/// its own file, with AssumeRole's source provider a field of the enum's variant.)
const ALLOWED_CYCLES: [&str; 0] = [];

fn check(src: &Path, allowed: &[&str]) -> Vec<String> {
    let tree = Tree::scan(src);
    let graph = tree.graph();
    let found = cycles(&tree, &graph);
    let mut problems: Vec<String> = found
        .iter()
        .filter(|c| !allowed.contains(&c.as_str()))
        .map(|c| format!("import cycle: {c}"))
        .collect();
    problems.extend(
        allowed
            .iter()
            .filter(|a| !found.iter().any(|c| c == *a))
            .map(|a| format!("allowed cycle no longer occurs, remove it from ALLOWED_CYCLES: {a}")),
    );
    problems.extend(layer_violations(&tree, &graph));
    problems
}

#[test]
fn src_has_no_import_cycle_and_every_layer_only_looks_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = check(&src, &ALLOWED_CYCLES);
    assert!(
        problems.is_empty(),
        "layering rules broken (see CONTRIBUTING.md):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_scanner_sees_a_planted_cycle_and_an_upward_import() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("lib.rs", "pub mod ids;\npub mod manifest;\npub mod vod;\n");
    write(
        "manifest/mod.rs",
        "mod load;\nmod validate;\npub use validate::Desired;\n",
    );
    // load -> validate through a re-export and a `use` group; validate -> load by `super::`.
    write(
        "manifest/load.rs",
        "use crate::{ids::VideoId, manifest::{Desired}};\n// crate::vod::Client in a comment is no use\nconst S: &str = \"crate::vod::x\";\n",
    );
    write(
        "manifest/validate.rs",
        "pub struct Desired;\nfn f() { super::load::read(); }\n#[cfg(test)]\nmod tests { use crate::vod::Client; }\n",
    );
    write(
        "ids.rs",
        "pub struct VideoId;\nfn up() -> crate::vod::Client { todo!() }\n",
    );
    write("vod/mod.rs", "pub struct Client;\n");
    assert_eq!(
        check(dir.path(), &[]),
        [
            "import cycle: src/manifest/load.rs -(manifest::Desired)-> src/manifest/validate.rs \
             -(manifest::load::read)-> src/manifest/load.rs",
            "src/ids.rs uses src/vod/mod.rs (vod::Client): a lower layer never uses a higher one",
        ]
    );
}
