//! strata-send: full, incremental and resumable ZFS replication to a file, a local dataset or
//! over ssh.

pub mod token;
