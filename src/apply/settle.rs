//! What one DeleteVideo call did to each video of its batch, decided from the reply alone.
//!
//! A pure function, so that every rule is unit- and property-tested without HTTP:
//! - only the batch's own IDs are ever counted: a reply's lists are intersected with what was sent;
//! - a reply that is not a VOD reply (no `RequestId`) is never a success: the batch is uncertain;
//! - a failure after which the service may have acted (a 5xx, a timeout, a cut connection, on
//!   this or an earlier attempt) is uncertain, never "not deleted": the caller verifies it by
//!   reading the videos back;
//! - a video reported non-existent after this call (or an earlier run of the same plan) already
//!   sent it was deleted by vodplan, not drift;
//! - a credential or permission error stops the run.

use std::collections::HashSet;

use crate::plan::Deletion;
use crate::vod::api::DeleteVideoResponse;
use crate::vod::{ApiErrorKind, Attempted};

/// What became of one batch.
#[derive(Debug, Default, PartialEq)]
pub struct Settled<'a> {
    pub deleted: Vec<&'a Deletion>,
    /// Gone before vodplan sent it: drift.
    pub drift: Vec<&'a Deletion>,
    pub forbidden: Vec<&'a Deletion>,
    /// Certainly not deleted: the service refused the call before acting.
    pub failed: Vec<&'a Deletion>,
    /// Possibly deleted: the service may have acted without vodplan hearing back.
    pub uncertain: Vec<&'a Deletion>,
    /// Why `failed` or `uncertain` are so.
    pub error: Option<String>,
    pub request_id: Option<String>,
    /// An error that retrying cannot fix (credentials, permission): send nothing more.
    pub stop: Option<String>,
}

/// Settles `batch` from the reply to its DeleteVideo call. `earlier_sent` holds the video IDs that
/// earlier runs of the same plan sent.
pub fn settle<'a>(
    batch: &[&'a Deletion],
    reply: &Attempted<DeleteVideoResponse>,
    earlier_sent: &HashSet<String>,
) -> Settled<'a> {
    let mut out = Settled::default();
    let ours = |d: &Deletion| {
        reply.uncertain_earlier_attempt || earlier_sent.contains(d.video_id.as_str())
    };
    match &reply.result {
        Ok(body) if body.request_id.trim().is_empty() => {
            out.uncertain.extend(batch.iter().copied());
            out.error = Some(
                "the reply to DeleteVideo carried no RequestId, so it is not a VOD reply".into(),
            );
        }
        Ok(body) => {
            let sent: HashSet<&str> = batch.iter().map(|d| d.video_id.as_str()).collect();
            let pick = |list: &[String]| -> HashSet<String> {
                list.iter()
                    .filter(|i| sent.contains(i.as_str()))
                    .cloned()
                    .collect()
            };
            let forbidden = pick(&body.forbidden_video_ids);
            let missing = pick(&body.non_exist_video_ids);
            for &d in batch {
                let id = d.video_id.as_str();
                if forbidden.contains(id) {
                    out.forbidden.push(d);
                } else if missing.contains(id) && !ours(d) {
                    out.drift.push(d);
                } else {
                    out.deleted.push(d);
                }
            }
            out.request_id = Some(body.request_id.clone());
        }
        // 404 InvalidVideo.NotFound: none of the batch exists.
        Err(e) if e.kind == ApiErrorKind::NotFound => {
            for &d in batch {
                if ours(d) {
                    out.deleted.push(d);
                } else {
                    out.drift.push(d);
                }
            }
            out.request_id = e.request_id.clone();
        }
        Err(e) => {
            let text = e.to_string();
            if e.kind == ApiErrorKind::Auth {
                out.stop = Some(text.clone());
            }
            // The last attempt itself may have been carried out when it was a transient failure.
            if reply.uncertain_earlier_attempt || e.kind == ApiErrorKind::Transient {
                out.uncertain.extend(batch.iter().copied());
            } else {
                out.failed.extend(batch.iter().copied());
            }
            out.error = Some(text);
            out.request_id = e.request_id.clone();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::VideoId;
    use crate::manifest::Location;
    use crate::plan::{Fingerprint, SelectedBy};
    use crate::vod::ApiError;

    fn d(i: u8) -> Deletion {
        Deletion {
            video_id: VideoId::new(format!("{i:032x}")).unwrap(),
            selected_by: SelectedBy::VideoId,
            reason: None,
            source: Location {
                file: "m.yaml".into(),
                line: 1,
                column: 1,
            },
            observed: Fingerprint::default(),
        }
    }

    fn ok(body: DeleteVideoResponse, uncertain: bool) -> Attempted<DeleteVideoResponse> {
        Attempted {
            result: Ok(body),
            attempts: 1,
            uncertain_earlier_attempt: uncertain,
        }
    }

    fn err(kind: ApiErrorKind, uncertain: bool) -> Attempted<DeleteVideoResponse> {
        Attempted {
            result: Err(ApiError {
                action: "DeleteVideo",
                kind,
                status: Some(500),
                code: "X".into(),
                message: "m".into(),
                request_id: None,
                retry_after: None,
                source: None,
            }),
            attempts: 3,
            uncertain_earlier_attempt: uncertain,
        }
    }

    /// [`super::settle`] over a batch of owned deletions.
    fn settle<'a>(
        batch: &'a [Deletion],
        reply: &Attempted<DeleteVideoResponse>,
        earlier: &HashSet<String>,
    ) -> Settled<'a> {
        super::settle(&batch.iter().collect::<Vec<_>>(), reply, earlier)
    }

    fn ids(v: &[&Deletion]) -> Vec<String> {
        v.iter().map(|d| d.video_id.to_string()).collect()
    }

    #[test]
    fn a_reply_without_request_id_is_not_a_success() {
        let batch = [d(1), d(2)];
        let s = settle(
            &batch,
            &ok(DeleteVideoResponse::default(), false),
            &HashSet::new(),
        );
        assert!(s.deleted.is_empty());
        assert_eq!(ids(&s.uncertain), ids(&batch.iter().collect::<Vec<_>>()));
    }

    #[test]
    fn lists_are_intersected_with_the_batch() {
        let batch = [d(1), d(2), d(3)];
        let body = DeleteVideoResponse {
            request_id: "r".into(),
            forbidden_video_ids: vec![d(1).video_id.to_string(), d(9).video_id.to_string()],
            non_exist_video_ids: vec![d(2).video_id.to_string(), d(8).video_id.to_string()],
            non_exist_reference_ids: vec![],
        };
        let s = settle(&batch, &ok(body, false), &HashSet::new());
        assert_eq!(ids(&s.forbidden), vec![d(1).video_id.to_string()]);
        assert_eq!(ids(&s.drift), vec![d(2).video_id.to_string()]);
        assert_eq!(ids(&s.deleted), vec![d(3).video_id.to_string()]);
    }

    #[test]
    fn non_existent_after_our_own_lost_reply_is_ours() {
        let batch = [d(1), d(2)];
        let body = DeleteVideoResponse {
            request_id: "r".into(),
            non_exist_video_ids: vec![d(1).video_id.to_string()],
            ..Default::default()
        };
        let s = settle(&batch, &ok(body.clone(), true), &HashSet::new());
        assert_eq!(s.deleted.len(), 2);
        let earlier: HashSet<String> = [d(1).video_id.to_string()].into();
        let s = settle(&batch, &ok(body, false), &earlier);
        assert_eq!(s.deleted.len(), 2);
        assert!(s.drift.is_empty());
    }

    #[test]
    fn failures_after_which_the_service_may_have_acted_are_uncertain() {
        let batch = [d(1)];
        let s = settle(
            &batch,
            &err(ApiErrorKind::Transient, false),
            &HashSet::new(),
        );
        assert_eq!(s.uncertain.len(), 1);
        assert!(s.failed.is_empty());
        let s = settle(&batch, &err(ApiErrorKind::Invalid, true), &HashSet::new());
        assert_eq!(s.uncertain.len(), 1);
        let s = settle(&batch, &err(ApiErrorKind::Invalid, false), &HashSet::new());
        assert_eq!(s.failed.len(), 1);
        let s = settle(&batch, &err(ApiErrorKind::Auth, false), &HashSet::new());
        assert_eq!(s.failed.len(), 1);
        assert!(s.stop.is_some());
    }

    proptest::proptest! {
        /// Whatever the reply: every video of the batch lands in exactly one list, nothing
        /// outside the batch is ever counted, a video is "deleted" only on a VOD reply (a
        /// RequestId) or a 404 for the whole batch, and a reply after which the service may have
        /// acted is never "failed" (certainly not deleted).
        #[test]
        fn every_video_is_settled_once_and_only_from_a_vod_reply(
            size in 1u8..20,
            forbidden in proptest::collection::vec(0u8..40, 0..8),
            missing in proptest::collection::vec(0u8..40, 0..8),
            request_id in proptest::option::of("[A-F0-9-]{0,8}"),
            failure in proptest::option::of(0u8..5),
            uncertain_before in proptest::bool::ANY,
            earlier in proptest::collection::vec(0u8..40, 0..8),
        ) {
            let batch: Vec<Deletion> = (0..size).map(d).collect();
            let ids = |v: &[u8]| v.iter().map(|i| d(*i).video_id.to_string()).collect::<Vec<_>>();
            let reply = match failure {
                None => ok(
                    DeleteVideoResponse {
                        request_id: request_id.clone().unwrap_or_default(),
                        forbidden_video_ids: ids(&forbidden),
                        non_exist_video_ids: ids(&missing),
                        non_exist_reference_ids: vec![],
                    },
                    uncertain_before,
                ),
                Some(k) => err(
                    [
                        ApiErrorKind::NotFound,
                        ApiErrorKind::Transient,
                        ApiErrorKind::Auth,
                        ApiErrorKind::Invalid,
                        ApiErrorKind::Throttled,
                    ][k as usize],
                    uncertain_before,
                ),
            };
            let earlier: HashSet<String> = ids(&earlier).into_iter().collect();
            let s = settle(&batch, &reply, &earlier);
            let all: Vec<&Deletion> = s
                .deleted
                .iter()
                .chain(&s.drift)
                .chain(&s.forbidden)
                .chain(&s.failed)
                .chain(&s.uncertain)
                .copied()
                .collect();
            proptest::prop_assert_eq!(all.len(), batch.len());
            let unique: HashSet<&str> = all.iter().map(|d| d.video_id.as_str()).collect();
            proptest::prop_assert_eq!(unique.len(), batch.len());
            let vod_reply = matches!(&reply.result, Ok(b) if !b.request_id.trim().is_empty());
            let not_found = matches!(&reply.result, Err(e) if e.kind == ApiErrorKind::NotFound);
            if !s.deleted.is_empty() {
                proptest::prop_assert!(vod_reply || not_found);
            }
            let may_have_acted = uncertain_before
                || matches!(&reply.result, Err(e) if e.kind == ApiErrorKind::Transient)
                || matches!(&reply.result, Ok(b) if b.request_id.trim().is_empty());
            if may_have_acted {
                proptest::prop_assert!(s.failed.is_empty());
            }
        }
    }
}
