//! Host tests of strata-diff.
