//! vodplan's integration tests: one binary, one module per subject.

mod signature_vectors;
