//! The write calls of a quarantine: CreateAudit (a video's status `Blocked` or `Normal`) and
//! UpdateVideoInfos (its tags). Both take their list as a JSON array passed as one string
//! parameter (`AuditContent`, `UpdateContent`), as the API documents
//! (https://help.aliyun.com/document_detail/89563.html,
//! https://www.alibabacloud.com/help/en/vod/developer-reference/api-vod-2017-03-21-updatevideoinfos);
//! that shape is built by [`CreateAudit`] and [`SetTags`] in [`super::request`].

use super::api::{self, MAX_AUDIT_ITEMS, MAX_UPDATE_ITEMS};
pub use super::request::{AuditItem, AuditStatus};
use super::request::{CreateAudit, GetAuditHistory, SetTags};
use super::{Attempted, Client};
use crate::ids::VideoId;

impl Client {
    /// CreateAudit for up to 100 videos, all set to `status`, each with its reason (at most 128
    /// bytes, required when blocking).
    pub async fn create_audit(
        &self,
        items: &[AuditItem],
        status: AuditStatus,
    ) -> Attempted<api::CreateAuditResponse> {
        debug_assert!(!items.is_empty() && items.len() <= MAX_AUDIT_ITEMS);
        self.call_detailed(&CreateAudit { items, status }).await
    }

    /// GetAuditHistory: the newest manual review records of one video (at most `page_size`,
    /// 1 to 100), newest first.
    pub async fn audit_history(
        &self,
        video_id: &VideoId,
        page_size: u32,
    ) -> Result<api::GetAuditHistoryResponse, super::ApiError> {
        self.call(&GetAuditHistory {
            video_id,
            page_size: page_size.clamp(1, 100),
        })
        .await
    }

    /// UpdateVideoInfos setting the whole tag list of up to 20 videos.
    pub async fn set_tags(
        &self,
        items: &[(VideoId, String)],
    ) -> Attempted<api::UpdateVideoInfosResponse> {
        debug_assert!(!items.is_empty() && items.len() <= MAX_UPDATE_ITEMS);
        self.call_detailed(&SetTags { items }).await
    }
}
