//! Real-ZFS scenarios of strata-diff.

use crate::harness::Scenario;

pub fn scenarios() -> Vec<Scenario> {
    vec![]
}
