//! (filled by the snapshot/prune work)
