//! (filled by the quota tool's work)
