//! The write calls of a quarantine: CreateAudit (a video's status `Blocked` or `Normal`) and
//! UpdateVideoInfos (its tags). Both take their list as a JSON array passed as one string
//! parameter (`AuditContent`, `UpdateContent`), as the API documents
//! (https://help.aliyun.com/document_detail/89563.html,
//! https://www.alibabacloud.com/help/en/vod/developer-reference/api-vod-2017-03-21-updatevideoinfos).

use serde_json::json;

use super::api::{self, Action, MAX_AUDIT_ITEMS, MAX_UPDATE_ITEMS};
use super::{Attempted, Client};
use crate::ids::VideoId;

/// The audit status to set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditStatus {
    Blocked,
    Normal,
}

impl AuditStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditStatus::Blocked => "Blocked",
            AuditStatus::Normal => "Normal",
        }
    }
}

impl Client {
    /// CreateAudit for up to 100 videos, all set to `status`, each with its reason (at most 128
    /// bytes, required when blocking).
    pub async fn create_audit(
        &self,
        items: &[(VideoId, String)],
        status: AuditStatus,
    ) -> Attempted<api::CreateAuditResponse> {
        debug_assert!(!items.is_empty() && items.len() <= MAX_AUDIT_ITEMS);
        let content: Vec<serde_json::Value> = items
            .iter()
            .map(|(id, reason)| match status {
                AuditStatus::Blocked => {
                    json!({"VideoId": id.as_str(), "Status": status.as_str(), "Reason": reason})
                }
                AuditStatus::Normal => json!({"VideoId": id.as_str(), "Status": status.as_str()}),
            })
            .collect();
        self.call_detailed(
            Action::CreateAudit,
            &[("AuditContent", serde_json::Value::from(content).to_string())],
        )
        .await
    }

    /// UpdateVideoInfos setting the whole tag list of up to 20 videos.
    pub async fn set_tags(
        &self,
        items: &[(VideoId, String)],
    ) -> Attempted<api::UpdateVideoInfosResponse> {
        debug_assert!(!items.is_empty() && items.len() <= MAX_UPDATE_ITEMS);
        let content: Vec<serde_json::Value> = items
            .iter()
            .map(|(id, tags)| json!({"VideoId": id.as_str(), "Tags": tags}))
            .collect();
        self.call_detailed(
            Action::UpdateVideoInfos,
            &[(
                "UpdateContent",
                serde_json::Value::from(content).to_string(),
            )],
        )
        .await
    }
}
