//! Host tests of strata-sshtui.
