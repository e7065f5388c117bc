//! Real-ZFS scenarios of strata-quota.

use crate::harness::Scenario;

pub fn scenarios() -> Vec<Scenario> {
    vec![]
}
