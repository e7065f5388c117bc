//! Host tests of the shared core, through the binaries.
