//! vodplan's integration tests: one binary, one module per subject. They run the real `vodplan`
//! binary against the real emulator over loopback HTTP, with real signatures.

mod ci_examples;
mod cli;
mod custody;
mod emulator_catalog;
mod credentials;
mod emulator_wire;
mod flow;
mod harness;
mod manifest_attack;
mod journal;
mod plan_apply;
mod render;
mod resume;
mod safety;
mod selectors;
mod signature_vectors;
mod validate;
