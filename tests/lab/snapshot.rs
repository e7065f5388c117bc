//! Real-ZFS scenarios of strata-snapshot.

use crate::harness::Scenario;

pub fn scenarios() -> Vec<Scenario> {
    vec![]
}
