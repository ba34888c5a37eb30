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
