//! vodplan
pub mod apply;
pub mod emulator;
pub mod ids;
pub mod manifest;
pub mod plan;
pub mod render;
pub mod selector;
pub mod state;
pub mod timefmt;
pub mod vod;
