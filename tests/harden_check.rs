//! Host tests of strata-harden-check.
