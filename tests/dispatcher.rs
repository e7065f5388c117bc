//! Host tests of the strata dispatcher.
