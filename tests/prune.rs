//! Host tests of strata-prune.
