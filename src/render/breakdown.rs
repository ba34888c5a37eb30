//! The breakdown of a plan's deletions: what a reviewer checks a large plan by. Per delete entry
//! (each `match` selector on its own; the video and reference IDs a file names, grouped per file),
//! per status, category, creation year and storage class, with counts, bytes and the oldest and
//! newest creation time; and per keep entry, how many videos it protected. Every count here is
//! exact: renderers cut the lists of videos, never the breakdown.
//!
//! Also the cost, when the user gives prices ([`Prices`]): what the deletions free per month, and
//! the deletions of infrequent-access and archive videos younger than their minimum storage
//! period, which are billed for the rest of it anyway.

use std::collections::BTreeMap;

use serde::Deserialize;
use time::OffsetDateTime;

use crate::plan::{Deletion, Plan, SelectedBy};

/// One row of a breakdown.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Group {
    /// What the row is: the selector's description, `videoId entries`, a status, a year...
    pub label: String,
    /// `FILE:LINE` of the entry, for entry rows; empty otherwise.
    pub source: String,
    pub count: usize,
    pub bytes: i64,
    /// Videos whose size VOD did not report (not in `bytes`).
    pub unknown_size: usize,
    pub oldest: Option<String>,
    pub newest: Option<String>,
}

impl Group {
    fn add(&mut self, d: &Deletion) {
        self.count += 1;
        match d.observed.size {
            Some(s) => self.bytes += s,
            None => self.unknown_size += 1,
        }
        if let Some(c) = &d.observed.creation_time {
            if self.oldest.as_ref().is_none_or(|o| c < o) {
                self.oldest = Some(c.clone());
            }
            if self.newest.as_ref().is_none_or(|n| c > n) {
                self.newest = Some(c.clone());
            }
        }
    }
}

/// The breakdown of a plan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Breakdown {
    pub entries: Vec<Group>,
    pub status: Vec<Group>,
    pub category: Vec<Group>,
    pub year: Vec<Group>,
    pub storage_class: Vec<Group>,
    /// Per keep entry (`label` is `FILE:LINE`): how many videos it protected.
    pub keep: Vec<Group>,
    pub total: Group,
}

/// The label of a delete entry's group.
pub fn entry_label(d: &Deletion) -> String {
    match &d.selected_by {
        SelectedBy::Match(m) => m.to_string(),
        SelectedBy::VideoId => "videoId entries".into(),
        SelectedBy::ReferenceId(_) => "referenceId entries".into(),
    }
}

/// The category label: the ID, or `none`.
pub fn category_label(c: Option<i64>) -> String {
    c.map_or_else(|| "none".into(), |c| c.to_string())
}

/// The storage class label (`unknown` when VOD reported none).
pub fn class_label(c: Option<&str>) -> &str {
    c.unwrap_or("unknown")
}

/// The entry group a deletion belongs to, without allocating: its file, its line and column for
/// a selector (0 for IDs, grouped per file), and the kind of entry.
pub fn entry_slot(d: &Deletion) -> (&str, u32, u32, u8) {
    match &d.selected_by {
        SelectedBy::Match(_) => (&d.source.file, d.source.line, d.source.column, 0),
        SelectedBy::VideoId => (&d.source.file, 0, 0, 1),
        SelectedBy::ReferenceId(_) => (&d.source.file, 0, 0, 2),
    }
}

pub fn of(plan: &Plan) -> Breakdown {
    let mut entries: Vec<Group> = Vec::new();
    let mut entry_at: std::collections::HashMap<(&str, u32, u32, u8), usize> = Default::default();
    let mut status: BTreeMap<&str, Group> = BTreeMap::new();
    let mut category: BTreeMap<Option<i64>, Group> = BTreeMap::new();
    let mut year: BTreeMap<&str, Group> = BTreeMap::new();
    let mut class: BTreeMap<&str, Group> = BTreeMap::new();
    let mut total = Group {
        label: "total".into(),
        ..Group::default()
    };
    for d in &plan.deletions {
        total.add(d);
        let i = *entry_at.entry(entry_slot(d)).or_insert_with(|| {
            entries.push(Group {
                label: entry_label(d),
                source: match d.selected_by {
                    SelectedBy::Match(_) => d.source.file_line(),
                    _ => d.source.file.to_string(),
                },
                ..Group::default()
            });
            entries.len() - 1
        });
        entries[i].add(d);
        let o = &d.observed;
        status.entry(&o.status).or_default().add(d);
        category.entry(o.category_id).or_default().add(d);
        let y = o
            .creation_time
            .as_deref()
            .and_then(|c| c.get(..4))
            .unwrap_or("unknown");
        year.entry(y).or_default().add(d);
        class
            .entry(class_label(o.storage_class.as_deref()))
            .or_default()
            .add(d);
    }
    let named = |m: BTreeMap<&str, Group>| -> Vec<Group> {
        m.into_iter()
            .map(|(label, g)| Group {
                label: label.to_string(),
                ..g
            })
            .collect()
    };
    let by_count = |mut v: Vec<Group>| {
        v.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
        v
    };
    let mut keep: Vec<Group> = Vec::new();
    let mut keep_at: std::collections::HashMap<String, usize> = Default::default();
    for p in &plan.protected {
        let label = p.kept_by.file_line();
        let i = *keep_at.entry(label.clone()).or_insert_with(|| {
            keep.push(Group {
                label,
                ..Group::default()
            });
            keep.len() - 1
        });
        keep[i].count += 1;
    }
    Breakdown {
        entries,
        status: by_count(named(status)),
        category: by_count(
            category
                .into_iter()
                .map(|(c, g)| Group {
                    label: category_label(c),
                    ..g
                })
                .collect(),
        ),
        year: named(year),
        storage_class: by_count(named(class)),
        keep,
        total,
    }
}

/// The user's storage prices (`--prices FILE`): a price per GB-month for each storage class, in
/// the user's currency (prices differ by region and contract, so vodplan carries none).
///
/// ```yaml
/// currency: USD
/// perGbMonth: { Standard: 0.0173, IA: 0.0115, Archive: 0.0058, ColdArchive: 0.0017 }
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Prices {
    #[serde(default)]
    pub currency: String,
    pub per_gb_month: BTreeMap<String, f64>,
}

/// A prices file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PricesError {
    #[error(
        "{path}: not a prices file ({source}); write `perGbMonth: {{Standard: 0.017, IA: 0.012}}` and optionally `currency: USD`"
    )]
    NotPrices {
        path: String,
        #[source]
        source: Box<serde_saphyr::Error>,
    },
    #[error("{path}: the price of {class} is {price}, not a price of 0 or more")]
    BadPrice {
        path: String,
        class: String,
        price: f64,
    },
}

impl Prices {
    pub fn parse(text: &str, path: &str) -> Result<Prices, PricesError> {
        let p: Prices = serde_saphyr::from_str(text).map_err(|source| PricesError::NotPrices {
            path: path.into(),
            source: Box::new(source),
        })?;
        if let Some((class, v)) = p
            .per_gb_month
            .iter()
            .find(|(_, v)| !v.is_finite() || **v < 0.0)
        {
            return Err(PricesError::BadPrice {
                path: path.into(),
                class: class.clone(),
                price: *v,
            });
        }
        Ok(p)
    }

    /// The price of a storage class: its own, else that of the class it is a source variant
    /// of (`SourceIA` → `IA`).
    pub fn of(&self, class: &str) -> Option<f64> {
        self.per_gb_month
            .get(class)
            .or_else(|| self.per_gb_month.get(class.strip_prefix("Source")?))
            .copied()
    }
}

/// A GB as Alibaba Cloud's storage prices count it: 2^30 bytes.
pub const GB: f64 = (1u64 << 30) as f64;

/// What the deletions free per month at these prices; the classes without a price are named.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cost {
    pub per_month: f64,
    pub currency: String,
    pub unpriced: Vec<String>,
}

pub fn cost(b: &Breakdown, prices: &Prices) -> Cost {
    let mut c = Cost {
        currency: prices.currency.clone(),
        ..Cost::default()
    };
    for g in &b.storage_class {
        match prices.of(&g.label) {
            Some(p) => c.per_month += g.bytes as f64 / GB * p,
            None => c.unpriced.push(g.label.clone()),
        }
    }
    c
}

/// The minimum storage period of a storage class, in days: deleting earlier bills the rest
/// (<https://www.alibabacloud.com/help/en/vod/user-guide/modify-the-media-asset-storage-type>:
/// IA 30 days, Archive 60, Cold Archive 180).
pub fn minimum_days(class: &str) -> Option<i64> {
    match class.strip_prefix("Source").unwrap_or(class) {
        "IA" => Some(30),
        "Archive" => Some(60),
        "ColdArchive" => Some(180),
        _ => None,
    }
}

/// Whether deleting this video at `at` comes before its class's minimum storage period ends
/// (judged from its creation time: the time it entered the class is not reported).
pub fn early(d: &Deletion, at: Option<OffsetDateTime>) -> Option<i64> {
    let days = minimum_days(d.observed.storage_class.as_deref()?)?;
    let created = crate::timefmt::parse(d.observed.creation_time.as_deref()?)?;
    let age = (at? - created).whole_days();
    (age < days).then_some(days)
}

/// The early deletions of a plan: count and bytes per class.
pub fn early_deletions(plan: &Plan, at: Option<OffsetDateTime>) -> Vec<Group> {
    let mut by: BTreeMap<String, Group> = BTreeMap::new();
    for d in &plan.deletions {
        if let Some(days) = early(d, at) {
            let class = class_label(d.observed.storage_class.as_deref());
            by.entry(format!("{class} (minimum {days} days)"))
                .or_default()
                .add(d);
        }
    }
    by.into_iter()
        .map(|(label, g)| Group { label, ..g })
        .collect()
}

/// A byte count in binary units, from B up to PiB.
pub fn size(bytes: i64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v.abs() >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// A money amount: two decimals and the currency.
pub fn money(v: f64, currency: &str) -> String {
    if currency.is_empty() {
        format!("{v:.2}")
    } else {
        format!("{v:.2} {currency}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::VideoId;
    use crate::manifest::Location;
    use crate::plan::Fingerprint;

    fn d(i: u32, by: SelectedBy, line: u32, size: Option<i64>, class: &str) -> Deletion {
        Deletion {
            video_id: VideoId::new(format!("v{i}")).unwrap(),
            selected_by: by,
            reason: None,
            source: Location::new(&"m.yaml".into(), line, 5),
            observed: Fingerprint {
                status: if i.is_multiple_of(2) {
                    "Normal"
                } else {
                    "UploadFail"
                }
                .into(),
                size,
                creation_time: Some(format!("20{:02}-03-01T00:00:00Z", 20 + i % 3)),
                category_id: (!i.is_multiple_of(3)).then_some(7),
                storage_class: Some(class.into()),
                ..Fingerprint::default()
            },
        }
    }

    #[test]
    fn entries_are_each_selector_and_ids_per_file_with_exact_totals() {
        let m = SelectedBy::Match("match {status in [Normal]}".into());
        let plan = Plan {
            deletions: vec![
                d(1, SelectedBy::VideoId, 3, Some(10), "Standard"),
                d(2, SelectedBy::VideoId, 4, Some(20), "IA"),
                d(3, m.clone(), 9, None, "Standard"),
                d(4, m, 9, Some(5), "Archive"),
            ],
            ..Plan::default()
        };
        let b = of(&plan);
        let rows: Vec<(&str, &str, usize, i64, usize)> = b
            .entries
            .iter()
            .map(|g| {
                (
                    g.label.as_str(),
                    g.source.as_str(),
                    g.count,
                    g.bytes,
                    g.unknown_size,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("videoId entries", "m.yaml", 2, 30, 0),
                ("match {status in [Normal]}", "m.yaml:9", 2, 5, 1)
            ]
        );
        assert_eq!(b.entries[1].oldest.as_deref(), Some("2020-03-01T00:00:00Z"));
        assert_eq!(b.entries[1].newest.as_deref(), Some("2021-03-01T00:00:00Z"));
        assert_eq!((b.total.count, b.total.bytes), (4, 35));
        let years: Vec<(&str, usize)> = b.year.iter().map(|g| (&*g.label, g.count)).collect();
        assert_eq!(years, [("2020", 1), ("2021", 2), ("2022", 1)]);
        let cats: Vec<(&str, usize)> = b.category.iter().map(|g| (&*g.label, g.count)).collect();
        assert_eq!(cats, [("7", 3), ("none", 1)]);
        let prices = Prices::parse(
            "currency: USD\nperGbMonth: {Standard: 1.0, IA: 2}\n",
            "p.yaml",
        )
        .unwrap();
        let c = cost(&b, &prices);
        assert_eq!(c.unpriced, ["Archive"]);
        assert!((c.per_month - 50.0 / GB).abs() < 1e-12);
        // The IA video was created in 2022 and is deleted 10 days later: early.
        let at = crate::timefmt::parse("2022-03-11T00:00:00Z");
        let early = early_deletions(&plan, at);
        assert_eq!(early.len(), 1);
        assert_eq!(early[0].label, "IA (minimum 30 days)");
    }

    #[test]
    fn a_bad_prices_file_says_what_to_write() {
        let e = Prices::parse("perGbMonth: {IA: -1}", "p.yaml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.yaml: the price of IA is -1, not a price of 0 or more"
        );
        assert!(Prices::parse("prices: 1", "p.yaml").is_err());
    }
}
