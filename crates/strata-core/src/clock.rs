//! An injectable clock: tools never read the system time directly.

use jiff::Timestamp;

pub trait Clock {
    fn now(&self) -> Timestamp;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that always says the same time (tests, `STRATA_NOW`).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// The environment variable that pins the clock for reproducible runs.
pub const NOW_ENV: &str = "STRATA_NOW";

/// The clock a tool runs with: `STRATA_NOW` (RFC 3339) when set, the system clock otherwise.
pub fn from_env() -> anyhow::Result<Box<dyn Clock>> {
    match std::env::var(NOW_ENV) {
        Ok(v) if !v.is_empty() => {
            let ts = crate::parse::timestamp(&v).map_err(|e| anyhow::anyhow!("environment variable {NOW_ENV}: {e}"))?;
            Ok(Box::new(FixedClock(ts)))
        }
        _ => Ok(Box::new(SystemClock)),
    }
}
