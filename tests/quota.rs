//! Host tests of strata-quota.
