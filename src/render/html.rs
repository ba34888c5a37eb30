//! The plan as one self-contained HTML report (`--format html`): the plan's data embedded as JSON,
//! and a script in the page that computes the counts and breakdowns from it, draws them as inline
//! SVG charts, and shows every video in a sortable, filterable, paged table.
//!
//! Safe to open: nothing is fetched but the optional cover thumbnails (`--no-thumbnails` turns
//! them off; then the page's Content-Security-Policy forbids images too), the only script is the
//! page's own (allowed by its hash), and every outside string reaches the page as data and is
//! shown as text (`textContent`, never parsed as HTML). In the embedded JSON `<`, `>` and `&` are
//! written as `\u003c`-style escapes, so no title can close the script element.

use std::fmt::Write;

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::PlanContext;
use super::breakdown::{self, entry_label, entry_slot};
use crate::plan::Plan;

const STYLE: &str = r##"
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#59636e}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{border:1px solid #d1d9e0;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:22px}.warn{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px 12px;margin:8px 0}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:16px}
.chart{border:1px solid #d1d9e0;border-radius:6px;padding:8px}.chart h3{font-size:14px;margin:0 0 6px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d1d9e0;padding:4px 6px;text-align:left;vertical-align:top}
th{cursor:pointer;background:#f6f8fa;position:sticky;top:0}td.n,th.n{text-align:right}
code{font:12px ui-monospace,monospace}img.cover{width:64px;height:36px;object-fit:cover;background:#eee}
.controls{display:flex;gap:8px;align-items:center;margin:8px 0}input[type=search]{flex:1;padding:4px 8px}
"##;

const SCRIPT: &str = r##"
"use strict";
const D = JSON.parse(document.getElementById("plan-data").textContent);
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; };
const SVG = "http://www.w3.org/2000/svg";
const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
function size(b) { if (b === null || b === undefined) return ""; let v = b, u = 0; while (Math.abs(v) >= 1024 && u + 1 < units.length) { v /= 1024; u++; } return u === 0 ? b + " B" : v.toFixed(1) + " " + units[u]; }
const C = D.columns; const I = {}; C.forEach((c, i) => I[c] = i);
const rows = D.rows;
function group(key) {
  const m = new Map();
  for (const r of rows) {
    const k = key(r); let g = m.get(k);
    if (!g) { g = { label: k, count: 0, bytes: 0, oldest: null, newest: null }; m.set(k, g); }
    g.count++; g.bytes += r[I.size] || 0;
    const t = r[I.created]; if (t) { if (!g.oldest || t < g.oldest) g.oldest = t; if (!g.newest || t > g.newest) g.newest = t; }
  }
  return [...m.values()];
}
const total = group(() => "all")[0] || { count: 0, bytes: 0 };
$("count-delete").textContent = total.count;
$("bytes-delete").textContent = size(total.bytes);
$("count-protected").textContent = D.protected.length;
$("count-absent").textContent = D.absent;
function chart(id, title, groups, label) {
  const box = $(id); box.appendChild(el("h3", title));
  const max = Math.max(1, ...groups.map(g => g.count));
  const shown = groups.slice(0, 30); const h = 22;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", "100%"); svg.setAttribute("viewBox", "0 0 440 " + (shown.length * h + 4)); svg.setAttribute("role", "img");
  shown.forEach((g, i) => {
    const y = i * h + 2;
    const t = document.createElementNS(SVG, "text"); t.setAttribute("x", 0); t.setAttribute("y", y + 15); t.setAttribute("font-size", "12");
    const name = label(g); t.textContent = name.length > 24 ? name.slice(0, 23) + "…" : name;
    const tt = document.createElementNS(SVG, "title"); tt.textContent = name; t.appendChild(tt);
    const r = document.createElementNS(SVG, "rect"); r.setAttribute("x", 165); r.setAttribute("y", y + 3); r.setAttribute("height", 15);
    r.setAttribute("width", Math.max(1, 130 * g.count / max)); r.setAttribute("fill", "#cf222e");
    const n = document.createElementNS(SVG, "text"); n.setAttribute("x", 169 + 130 * g.count / max); n.setAttribute("y", y + 15); n.setAttribute("font-size", "12");
    n.textContent = g.bytes === null ? String(g.count) : g.count + " · " + size(g.bytes);
    svg.append(t, r, n);
  });
  box.appendChild(svg);
  const tbl = el("table"); const hd = el("tr");
  const full = groups.every(g => g.bytes !== null);
  const heads = full ? [["", 0], ["videos", 1], ["size", 1], ["oldest", 0], ["newest", 0]] : [["", 0], ["videos", 1]];
  for (const [c, n] of heads) hd.appendChild(el("th", c, n ? "n" : ""));
  tbl.appendChild(hd);
  for (const g of groups) {
    const tr = el("tr"); tr.className = "group";
    tr.append(el("td", label(g)), el("td", g.count, "n count"));
    if (full) tr.append(el("td", size(g.bytes), "n"), el("td", g.oldest || ""), el("td", g.newest || ""));
    tbl.appendChild(tr);
  }
  box.appendChild(tbl);
}
const byCount = (a, b) => b.count - a.count || String(a.label).localeCompare(String(b.label));
const entries = group(r => r[I.entry]);
chart("by-entry", "By delete entry", entries, g => D.entries[g.label].label + " (" + D.entries[g.label].source + ")");
entries.forEach(g => { $("by-entry").querySelectorAll("td.count")[entries.indexOf(g)].id = "entry-count-" + g.label; });
chart("by-status", "By status", group(r => r[I.status]).sort(byCount), g => g.label);
chart("by-category", "By category", group(r => r[I.categoryId] === null ? "none" : String(r[I.categoryId])).sort(byCount), g => g.label);
chart("by-year", "By creation year", group(r => r[I.created] ? r[I.created].slice(0, 4) : "unknown").sort((a, b) => a.label.localeCompare(b.label)), g => g.label);
chart("by-class", "By storage class", group(r => r[I.storageClass] || "unknown").sort(byCount), g => g.label);
const keep = new Map(); for (const p of D.protected) keep.set(p[2], (keep.get(p[2]) || 0) + 1);
chart("by-keep", "Protected, by keep entry", [...keep].map(([k, n]) => ({ label: k, count: n, bytes: null })), g => g.label);
// The table of every video: filtered, sorted, paged.
const PAGE = 100; let view = rows.slice(), page = 0, sortCol = -1, sortDir = 1;
const thumbs = D.thumbnails;
const head = $("videos-head");
const cols = [["cover", -1], ["video", I.videoId], ["title", I.title], ["status", I.status], ["size", I.size], ["created", I.created], ["category", I.categoryId], ["storage class", I.storageClass], ["tags", I.tags], ["entry", I.entry]];
for (const [name, c] of cols) {
  if (c < 0 && !thumbs) continue;
  const th = el("th", name, c === I.size || c === I.categoryId ? "n" : "");
  if (c >= 0) th.onclick = () => { sortDir = sortCol === c ? -sortDir : 1; sortCol = c; apply(); };
  head.appendChild(th);
}
function cmp(a, b) { const x = a[sortCol], y = b[sortCol]; if (x === y) return 0; if (x === null) return 1; if (y === null) return -1; return (x < y ? -1 : 1) * sortDir; }
function apply() {
  const q = $("filter").value.trim().toLowerCase();
  view = q ? rows.filter(r => [r[I.videoId], r[I.title], r[I.status], r[I.created], r[I.tags], r[I.storageClass], String(r[I.categoryId]), D.entries[r[I.entry]].label].some(v => v && String(v).toLowerCase().includes(q))) : rows.slice();
  if (sortCol >= 0) view.sort(cmp);
  page = 0; draw();
}
function draw() {
  const body = $("videos-body"); body.replaceChildren();
  for (const r of view.slice(page * PAGE, page * PAGE + PAGE)) {
    const tr = el("tr");
    if (thumbs) {
      const td = el("td"); const u = D.covers[r[I.videoId]];
      if (u && /^https?:\/\//.test(u)) { const img = el("img", null, "cover"); img.loading = "lazy"; img.referrerPolicy = "no-referrer"; img.alt = ""; img.src = u; td.appendChild(img); }
      tr.appendChild(td);
    }
    const id = el("td"); id.appendChild(el("code", r[I.videoId])); tr.appendChild(id);
    tr.append(el("td", r[I.title]), el("td", r[I.status]), el("td", size(r[I.size]), "n"), el("td", r[I.created]), el("td", r[I.categoryId], "n"), el("td", r[I.storageClass]), el("td", r[I.tags]), el("td", D.entries[r[I.entry]].source));
    body.appendChild(tr);
  }
  const pages = Math.max(1, Math.ceil(view.length / PAGE));
  $("shown").textContent = view.length;
  $("page").textContent = (page + 1) + " / " + pages;
}
$("filter").oninput = apply;
$("prev").onclick = () => { if (page > 0) { page--; draw(); } };
$("next").onclick = () => { if ((page + 1) * PAGE < view.length) { page++; draw(); } };
apply();
document.body.dataset.ready = "1";
"##;

/// Writes JSON into the page with `<`, `>` and `&` as `\u003c`-style escapes (they can only
/// occur inside JSON strings, and are single bytes in UTF-8, so a byte-wise replacement is exact),
/// so no string in the data can close the script element it is embedded in.
struct Embed<'a>(&'a mut Vec<u8>);

impl std::io::Write for Embed<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            match b {
                b'<' => self.0.extend_from_slice(b"\\u003c"),
                b'>' => self.0.extend_from_slice(b"\\u003e"),
                b'&' => self.0.extend_from_slice(b"\\u0026"),
                b => self.0.push(b),
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn embed<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    serde_json::to_writer(Embed(out), v).expect("JSON values serialize");
}

fn hash(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
}

/// The plan's data as the page's script reads it, written straight into the page (a million
/// rows are never held as JSON values): rows as arrays under `columns`.
fn data(out: &mut Vec<u8>, plan: &Plan, ctx: &PlanContext) {
    let mut entries: Vec<Value> = Vec::new();
    let mut entry_at: std::collections::HashMap<(&str, u32, u32, u8), usize> = Default::default();
    out.extend_from_slice(
        br#"{"columns":["videoId","title","status","size","created","categoryId","storageClass","tags","entry"],"rows":["#,
    );
    for (i, d) in plan.deletions.iter().enumerate() {
        let e = *entry_at.entry(entry_slot(d)).or_insert_with(|| {
            entries.push(json!({
                "label": entry_label(d),
                "source": match d.selected_by {
                    crate::plan::SelectedBy::Match(_) => d.source.file_line(),
                    _ => d.source.file.to_string(),
                },
            }));
            entries.len() - 1
        });
        let o = &d.observed;
        if i > 0 {
            out.push(b',');
        }
        embed(
            out,
            &(
                d.video_id.as_str(),
                &o.title,
                &o.status,
                o.size,
                &o.creation_time,
                o.category_id,
                &o.storage_class,
                &o.tags,
                e,
            ),
        );
    }
    out.extend_from_slice(br#"],"entries":"#);
    embed(out, &entries);
    out.extend_from_slice(br#","protected":"#);
    let protected: Vec<(&str, &str, String)> = plan
        .protected
        .iter()
        .map(|p| (p.video_id.as_str(), p.title.as_str(), p.kept_by.file_line()))
        .collect();
    embed(out, &protected);
    let thumbnails = ctx.thumbnails && !plan.covers.is_empty();
    out.extend_from_slice(
        format!(
            r#","absent":{},"thumbnails":{thumbnails},"covers":{{"#,
            plan.absent.len()
        )
        .as_bytes(),
    );
    if thumbnails {
        for (i, c) in plan.covers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            embed(out, c.video_id.as_str());
            out.push(b':');
            embed(out, &c.url);
        }
    }
    out.extend_from_slice(b"}}");
}

/// Text for an HTML element's content or a double-quoted attribute.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in super::escape::visible(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn plan(plan: &Plan, ctx: &PlanContext) -> String {
    let b = breakdown::of(plan);
    let thumbnails = ctx.thumbnails && !plan.covers.is_empty();
    let csp = format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; img-src {}",
        hash(SCRIPT),
        hash(STYLE),
        if thumbnails { "https: http:" } else { "'none'" }
    );
    let mut out = String::with_capacity(4096 + plan.deletions.len() * 160);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<title>vodplan plan {} ({})</title>\n<style>{STYLE}</style></head>\n<body>\n<h1>vodplan plan: {}</h1>\n<div class=\"meta\">Plan digest <code>{}</code> · region {} ({}) · {} · made {}</div>\n",
        text(&ctx.digest),
        text(&ctx.region),
        text(&ctx.region),
        text(&ctx.digest),
        text(&ctx.region),
        text(&ctx.region_source),
        text(&ctx.endpoint),
        text(&ctx.created_at),
    );
    out.push_str("<div class=\"cards\"><div class=\"card\">to delete<b id=\"count-delete\"></b></div><div class=\"card\">size<b id=\"bytes-delete\"></b></div><div class=\"card\">protected<b id=\"count-protected\"></b></div><div class=\"card\">absent<b id=\"count-absent\"></b></div></div>\n");
    out.push_str("<noscript><p class=\"warn\">This report draws its counts, charts and table with its own script: allow it, or read the plan with <code>vodplan show</code>.</p></noscript>\n");
    if let Some(prices) = &ctx.prices {
        let c = breakdown::cost(&b, prices);
        let _ = writeln!(
            out,
            "<p id=\"cost\">Frees {} ≈ {} per month at the given prices{}.</p>",
            breakdown::size(b.total.bytes),
            text(&breakdown::money(c.per_month, &c.currency)),
            if c.unpriced.is_empty() {
                String::new()
            } else {
                text(&format!(
                    " (no price for {}: not counted)",
                    c.unpriced.join(", ")
                ))
            }
        );
    }
    let early = breakdown::early_deletions(plan, ctx.at());
    for g in &early {
        let _ = writeln!(
            out,
            "<p class=\"warn\">{} videos ({}) in {} are deleted before their minimum storage period: the rest of it is billed anyway.</p>",
            g.count,
            breakdown::size(g.bytes),
            text(&g.label)
        );
    }
    if thumbnails {
        out.push_str("<p class=\"meta\">Cover thumbnails load from VOD's cover URLs as rows are shown. Signed URLs expire: in a report older than their lifetime the covers no longer load. Make the report with <code>--no-thumbnails</code> to fetch nothing.</p>\n");
    }
    out.push_str("<h2>Breakdown</h2>\n<div class=\"charts\"><div class=\"chart\" id=\"by-entry\"></div><div class=\"chart\" id=\"by-status\"></div><div class=\"chart\" id=\"by-category\"></div><div class=\"chart\" id=\"by-year\"></div><div class=\"chart\" id=\"by-class\"></div><div class=\"chart\" id=\"by-keep\"></div></div>\n");
    out.push_str("<h2>Every video to delete</h2>\n<div class=\"controls\"><input type=\"search\" id=\"filter\" placeholder=\"filter: ID, title, status, tag, category, year…\"><span><span id=\"shown\"></span> shown</span><button id=\"prev\">◀</button><span id=\"page\"></span><button id=\"next\">▶</button></div>\n<table><thead><tr id=\"videos-head\"></tr></thead><tbody id=\"videos-body\"></tbody></table>\n");
    out.push_str("<script type=\"application/json\" id=\"plan-data\">");
    let mut bytes = out.into_bytes();
    data(&mut bytes, plan, ctx);
    let mut out = String::from_utf8(bytes).expect("JSON and the page are UTF-8");
    out.push_str("</script>\n<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_outside_string_can_close_the_data_or_open_markup() {
        let v = json!({"title": "</script><script>alert(1)</script> & \u{2028}"});
        let mut e = Vec::new();
        embed(&mut e, &v);
        let e = String::from_utf8(e).unwrap();
        assert!(
            !e.contains('<') && !e.contains('>') && !e.contains('&'),
            "{e}"
        );
        assert_eq!(serde_json::from_str::<Value>(&e).unwrap(), v);
        assert_eq!(
            text("<b onclick=\"x\">'&"),
            "&lt;b onclick=&quot;x&quot;&gt;&#39;&amp;"
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::ids::VideoId;
    use crate::manifest::Location;
    use crate::plan::{Deletion, Fingerprint, SelectedBy};

    fn text_with_markup() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('<'),
                Just('>'),
                Just('&'),
                Just('"'),
                Just('/'),
                Just('\u{2028}'),
                proptest::char::any()
            ],
            0..60,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn every_outside_string_is_data_in_the_page(
            titles in proptest::collection::vec(text_with_markup(), 1..5),
            file in text_with_markup(),
        ) {
            let file: std::sync::Arc<str> = format!("{file}.yaml").into();
            let plan = Plan {
                deletions: titles
                    .iter()
                    .enumerate()
                    .map(|(i, t)| Deletion {
                        video_id: VideoId::new(format!("{i:032x}")).unwrap(),
                        selected_by: SelectedBy::Match(format!("match {{title starts with {t:?}}}").into()),
                        reason: Some(t.clone()),
                        source: Location::new(&file, 3 + i as u32, 5),
                        observed: Fingerprint {
                            title: t.clone(),
                            tags: Some(t.clone()),
                            ..Fingerprint::default()
                        },
                    })
                    .collect(),
                ..Plan::default()
            };
            let page = super::plan(&plan, &PlanContext { region_source: file.to_string(), ..PlanContext::default() });
            // One data element, one script, one style: nothing an outside string could open.
            prop_assert_eq!(page.matches("<script").count(), 2);
            prop_assert_eq!(page.matches("</script>").count(), 2);
            let start = page.find("id=\"plan-data\">").unwrap() + "id=\"plan-data\">".len();
            let end = start + page[start..].find("</script>").unwrap();
            let data: Value = serde_json::from_str(&page[start..end]).unwrap();
            for (i, t) in titles.iter().enumerate() {
                prop_assert_eq!(data["rows"][i][1].as_str(), Some(t.as_str()));
            }
        }
    }
}
