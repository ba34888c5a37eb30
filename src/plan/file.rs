//! The saved plan file (`plan --out`): the reviewed plan, and the context it is only valid in.
//!
//! JSON, versioned with `formatVersion`, and recognisable by its `kind` so that `apply` can tell a
//! plan from a manifest by content. It records the region and endpoint (a plan is refused against
//! another one), the manifests' digest, vodplan's version and the time, and for every deletion
//! the fingerprint of what was observed. It never holds a credential: nothing in [`PlanFile`] can
//! carry one.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Plan;
use crate::manifest::ManifestFile;

pub const PLAN_KIND: &str = "vodplan-plan";
pub const PLAN_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanManifest {
    pub name: String,
    pub sha256: String,
}

impl From<&ManifestFile> for PlanManifest {
    fn from(f: &ManifestFile) -> Self {
        PlanManifest {
            name: f.name.to_string(),
            sha256: f.sha256.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanFile {
    pub kind: String,
    pub format_version: u32,
    pub vodplan_version: String,
    pub created_at: String,
    pub region: String,
    /// Why that region ("from the manifests, cleanup.yaml:2", "from --region"...).
    #[serde(default)]
    pub region_source: String,
    pub endpoint: String,
    pub manifests: Vec<PlanManifest>,
    /// The manifest paths as given to `plan` (files or directories, relative to its working
    /// directory): `apply` loads them again to check the plan against them.
    #[serde(default)]
    pub manifest_paths: Vec<String>,
    pub manifest_digest: String,
    /// `limits.maxDeletes` as reviewed, re-checked at apply time.
    pub max_deletes: Option<u64>,
    pub plan: Plan,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read plan file {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path} is not a vodplan plan file ({reason})")]
    NotAPlan { path: String, reason: String },
    #[error(
        "{path} is a plan of format version {found}, and this vodplan (version {ours}) reads format version {PLAN_FORMAT_VERSION}; make the plan again with this vodplan"
    )]
    Version {
        path: String,
        found: u32,
        ours: &'static str,
    },
    #[error("cannot write plan file {path}: {reason}")]
    Unwritable { path: String, reason: String },
}

impl PlanFile {
    pub fn new(
        plan: Plan,
        region: &str,
        endpoint: &str,
        manifests: &[ManifestFile],
        manifest_paths: &[std::path::PathBuf],
        max_deletes: Option<u64>,
    ) -> PlanFile {
        PlanFile {
            kind: PLAN_KIND.into(),
            format_version: PLAN_FORMAT_VERSION,
            vodplan_version: env!("CARGO_PKG_VERSION").into(),
            created_at: crate::timefmt::now(),
            region: region.into(),
            region_source: String::new(),
            endpoint: endpoint.into(),
            manifests: manifests.iter().map(PlanManifest::from).collect(),
            manifest_paths: manifest_paths
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            manifest_digest: crate::manifest::load::digest_files(manifests),
            max_deletes,
            plan,
        }
    }

    /// A digest of the whole plan file, identifying this plan in journals.
    pub fn digest(&self) -> String {
        let bytes = serde_json::to_vec(self).expect("a plan always serializes");
        hex::encode(Sha256::digest(bytes))
    }

    /// Whether a file's content is a plan file rather than a manifest (by content, not name).
    pub fn looks_like_plan(bytes: &[u8]) -> bool {
        let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
        if start.is_none_or(|i| bytes[i] != b'{') {
            return false;
        }
        #[derive(Deserialize)]
        struct Kind {
            kind: Option<String>,
        }
        serde_json::from_slice::<Kind>(bytes).is_ok_and(|k| k.kind.as_deref() == Some(PLAN_KIND))
    }

    pub fn read(path: &Path) -> Result<PlanFile, PlanFileError> {
        let p = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| PlanFileError::Unreadable {
            path: p.clone(),
            reason: e.to_string(),
        })?;
        PlanFile::from_bytes(&bytes, &p)
    }

    pub fn from_bytes(bytes: &[u8], path: &str) -> Result<PlanFile, PlanFileError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Header {
            kind: Option<String>,
            format_version: Option<u32>,
        }
        let header: Header =
            serde_json::from_slice(bytes).map_err(|e| PlanFileError::NotAPlan {
                path: path.into(),
                reason: e.to_string(),
            })?;
        if header.kind.as_deref() != Some(PLAN_KIND) {
            return Err(PlanFileError::NotAPlan {
                path: path.into(),
                reason: format!("its kind is not {PLAN_KIND:?}"),
            });
        }
        match header.format_version {
            Some(PLAN_FORMAT_VERSION) => {}
            found => {
                return Err(PlanFileError::Version {
                    path: path.into(),
                    found: found.unwrap_or(0),
                    ours: env!("CARGO_PKG_VERSION"),
                });
            }
        }
        serde_json::from_slice(bytes).map_err(|e| PlanFileError::NotAPlan {
            path: path.into(),
            reason: e.to_string(),
        })
    }

    /// Writes the plan atomically (a temporary file renamed into place), so a reader never sees a
    /// half-written plan.
    pub fn write(&self, path: &Path) -> Result<(), PlanFileError> {
        let p = path.display().to_string();
        let err = |e: std::io::Error| PlanFileError::Unwritable {
            path: p.clone(),
            reason: e.to_string(),
        };
        let mut text = serde_json::to_string_pretty(self).expect("a plan always serializes");
        text.push('\n');
        let tmp = path.with_extension("tmp-vodplan");
        std::fs::write(&tmp, text).map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    }
}
