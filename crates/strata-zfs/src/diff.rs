//! (filled by the diff tool's work)
