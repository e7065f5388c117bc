//! The Debian package and the size of the release binaries.
