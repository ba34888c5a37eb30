//! vodplan: declarative, reviewable deletion of ApsaraVideo VOD videos.
//!
//! This library holds everything but the terminal: it never prints and never exits (denied by
//! lints below), it returns values and errors. The `vodplan` binary (`src/main.rs`, `src/cli/`)
//! parses flags, calls into it, renders, and maps errors to exit codes in `src/cli/exit.rs`.
//!
//! Data flows one way:
//!
//! ```text
//! manifests ─► manifest (load → raw → validate) ─► DesiredState
//!                                                      │
//! VOD API ◄── vod::Client (sign, pace, retry) ◄── state::observe (+ listing)
//!                                                      ▼
//!   plan::make (observe, diff, quarantine arrange, guards) ─► Plan ─► plan::file (saved plan)
//!                                                      ▼
//!   apply::approve (every custody check, re-read, judge) ─► Approval ─► apply::run (batches, journal) ─► Outcome
//!                                                      ▼
//!   render (text, json, markdown): pure functions of a Plan or an Outcome
//! ```
//!
//! The modules are layers, each using only those below it (checked by `tests/it/layering.rs`,
//! explained in `CONTRIBUTING.md`): [`ids`], [`timefmt`], [`progress`] (shared utilities) →
//! [`manifest`] → [`vod`] → [`state`], [`listing`] → [`plan`] → [`apply`] → [`render`] → the
//! binary. The local VOD API that `vodplan emulator` serves, for tests and rehearsals, is a crate
//! of its own (`vod-emulator`, in `crates/`): it uses nothing of this library, and this library
//! uses nothing of it (only the binary does), so the library carries no HTTP server.
//!
//! Rules that keep it safe: IDs are types built only through validation ([`ids`]); every API
//! call goes through one client ([`vod::Client`]), so pacing, retries, timeouts and secret hygiene
//! live in one place; the planner never calls the API and the executor never re-plans; a kept
//! video is never a deletion, and nothing outside the plan is ever sent ([`plan::diff()`],
//! [`apply::run()`], both property-tested).

// The library never prints and never exits: it returns values and errors (CONTRIBUTING.md).
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

pub mod apply;
pub mod ids;
pub mod listing;
pub mod manifest;
pub mod plan;
pub mod progress;
pub mod render;
pub mod state;
pub mod timefmt;
pub mod vod;
