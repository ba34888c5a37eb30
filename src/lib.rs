//! vodplan
pub mod ids;
pub mod manifest;
pub mod timefmt;
pub mod vod;
