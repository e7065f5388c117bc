//! Host tests of strata-snapshot.
