//! The journal's line format: one JSON [`Record`] per line. Its own file so that the writer
//! (`journal.rs`) and the reader (`read.rs`) both use it without a file-level import cycle.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Record {
    #[serde(rename_all = "camelCase")]
    Start {
        run: String,
        time: String,
        plan_key: String,
        /// The digest of the plan this run applies, as `plan`, `show` and `apply` print it: what
        /// ties the journal to the reviewed plan. Absent in journals of older versions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan_digest: Option<String>,
        planned: usize,
        vodplan_version: String,
    },
    #[serde(rename_all = "camelCase")]
    BatchSent {
        run: String,
        time: String,
        batch: u64,
        video_ids: Vec<String>,
        /// Reference IDs of the manifest entries behind the batch, where they named one.
        #[serde(default)]
        reference_ids: Vec<String>,
        /// Why each video is deleted, and which manifest entry says so (videos without a
        /// reason are listed with their source only).
        #[serde(default)]
        entries: Vec<JournalEntry>,
    },
    #[serde(rename_all = "camelCase")]
    BatchDone {
        run: String,
        time: String,
        batch: u64,
        request_id: Option<String>,
        attempts: u32,
        deleted: Vec<String>,
        non_exist: Vec<String>,
        forbidden: Vec<String>,
        failed: Vec<String>,
        error: Option<String>,
    },
    /// The videos of batches whose fate was unknown, read back: gone (deleted by this run) or
    /// still present (not deleted).
    #[serde(rename_all = "camelCase")]
    Verified {
        run: String,
        time: String,
        request_id: Option<String>,
        deleted: Vec<String>,
        still_present: Vec<String>,
    },
    /// One call of a quarantine or a restore.
    #[serde(rename_all = "camelCase")]
    Audit {
        run: String,
        time: String,
        step: Step,
        video_ids: Vec<String>,
        done: Vec<String>,
        failed: Vec<String>,
        request_id: Option<String>,
        error: Option<String>,
        /// The grace period's last day written by a `tag` or `block` step (UTC `YYYY-MM-DD`).
        #[serde(default, skip_serializing_if = "Option::is_none", with = "day_or_none")]
        until: Option<time::Date>,
    },
    #[serde(rename_all = "camelCase")]
    Finish {
        run: String,
        time: String,
        deleted: usize,
        absent: usize,
        forbidden: usize,
        failed: usize,
        /// Planned deletions this run never sent (it was interrupted or stopped). A run is only
        /// settled (see [`super::read::Applied`]) when this is 0; absent in journals of older versions.
        #[serde(default)]
        not_sent: usize,
    },
}

/// The step of a quarantine (`tag`, then `block`) or a restore (`unblock`, then `untag`) one
/// call carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Tag,
    Block,
    Unblock,
    Untag,
}

/// An optional date saved as `YYYY-MM-DD`.
mod day_or_none {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => crate::plan::quarantine::save_day(d, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        #[derive(Deserialize)]
        struct Day(#[serde(deserialize_with = "crate::plan::quarantine::read_day")] Date);
        Ok(Option::<Day>::deserialize(d)?.map(|Day(d)| d))
    }
}

/// The manifest entry behind one deleted video, as recorded for auditors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    pub video_id: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_line_keeps_its_format_with_a_step_and_a_date() {
        let line = r#"{"event":"audit","run":"r","time":"2026-01-01T00:00:00Z","step":"block","videoIds":["a"],"done":["a"],"failed":[],"requestId":"q","error":null,"until":"2026-01-15"}"#;
        let record: Record = serde_json::from_str(line).unwrap();
        let Record::Audit { step, until, .. } = &record else {
            panic!("an audit record: {record:?}");
        };
        assert_eq!(
            (*step, *until),
            (Step::Block, Some(time::macros::date!(2026 - 01 - 15)))
        );
        assert_eq!(serde_json::to_string(&record).unwrap(), line);
        let untag = line
            .replace(r#""block""#, r#""untag""#)
            .replace(r#","until":"2026-01-15""#, "");
        let record: Record = serde_json::from_str(&untag).unwrap();
        assert!(matches!(
            record,
            Record::Audit {
                step: Step::Untag,
                until: None,
                ..
            }
        ));
        assert_eq!(serde_json::to_string(&record).unwrap(), untag);
    }
}
