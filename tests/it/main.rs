//! vodplan's integration tests: one binary, one module per subject. They run the real `vodplan`
//! binary against the real emulator over loopback HTTP, with real signatures.

mod actors;
mod ci_examples;
mod cli;
mod credentials;
mod custody;
mod docs;
mod emulator_catalog;
mod emulator_wire;
mod flow;
mod harness;
mod honest;
mod hostile;
mod journal;
mod layering;
mod manifest_attack;
mod pacing;
mod plan_apply;
mod quarantine;
mod render;
mod resume;
mod review;
mod safety;
mod scale;
mod selectors;
mod shared_catalogue;
mod signature_vectors;
mod takedown;
mod test;
mod validate;
