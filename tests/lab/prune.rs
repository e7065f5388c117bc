//! Real-ZFS scenarios of strata-prune.

use crate::harness::Scenario;

pub fn scenarios() -> Vec<Scenario> {
    vec![]
}
