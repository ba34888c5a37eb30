//! What the benchmarks share: their options from the environment, and the process's peak memory.
//! Each benchmark includes this module (`mod support;`) and uses what it needs.
#![allow(dead_code)]

/// A numeric option from the environment, if set and a number.
pub fn env_opt(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// A numeric option from the environment, or `default`.
pub fn env_or(name: &str, default: u64) -> u64 {
    env_opt(name).unwrap_or(default)
}

/// The process's peak resident memory so far, in MiB (Linux `VmHWM`; NaN elsewhere).
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// A client of the emulator at `endpoint`, with its test key, sending at most `delete_qps`
/// DeleteVideo a second.
pub fn client(endpoint: &str, delete_qps: f64) -> std::sync::Arc<vodplan::vod::Client> {
    use vodplan::vod::{
        Client, ClientConfig, Credentials, Endpoint, RetryPolicy, Secret, SignatureVersion,
    };
    let config = ClientConfig {
        endpoint: Endpoint::parse(endpoint).unwrap(),
        region: "cn-shanghai".into(),
        credentials: Credentials {
            access_key_id: "testid".into(),
            access_key_secret: Secret::new("testsecret"),
            security_token: None,
            source: "bench".into(),
        },
        signature: SignatureVersion::V3,
        delete_qps,
        timeout: std::time::Duration::from_secs(30),
        retry: RetryPolicy::default(),
    };
    std::sync::Arc::new(Client::new(config).unwrap())
}

/// A video of the emulator's catalogue: `Normal`, created 2024-01-01, of one byte, and nothing
/// else said (set other fields with `..video(id)`).
pub fn video(video_id: String) -> vod_emulator::Video {
    vod_emulator::Video {
        video_id,
        reference_id: None,
        title: "bench".into(),
        status: "Normal".into(),
        category_id: None,
        creation_time: "2024-01-01T00:00:00Z".into(),
        modification_time: None,
        size: Some(1),
        duration: None,
        tags: None,
        storage_location: None,
        storage_class: None,
        cover_url: None,
        forbidden: false,
        cdn: None,
    }
}
