//! Exit codes shared by every tool, and the errors that carry their own code.

/// Success, or a query whose answer is "nothing to report".
pub const SUCCESS: u8 = 0;
/// A negative answer from a query tool: changes found, findings above a threshold, over quota.
pub const NEGATIVE: u8 = 1;
/// An error or a usage mistake. Nothing was destroyed or half-written, unless the message says
/// the command ran to its end and only writing its output failed.
pub const ERROR: u8 = 2;
/// The state is unknown (a monitoring check that could not look: Nagios' UNKNOWN).
pub const UNKNOWN: u8 = 3;
/// Another run holds the lock (`EX_TEMPFAIL`): try again later.
pub const LOCKED: u8 = 75;
/// The dispatcher found a `strata-NAME` program but could not run it (as a shell says it).
pub const CANNOT_RUN: u8 = 126;
/// The dispatcher found no built-in tool and no `strata-NAME` program (as a shell says it).
pub const NOT_FOUND: u8 = 127;
/// Ended by SIGHUP (128 + 1), e.g. the terminal went away.
pub const HANGUP: u8 = 129;
/// Interrupted by the user (Ctrl-C, Esc in a picker).
pub const INTERRUPTED: u8 = 130;
/// Ended by SIGTERM (128 + 15).
pub const TERMINATED: u8 = 143;

/// Every exit code a strata tool may return, each named above; man pages list a subset.
pub const ALL: &[u8] =
    &[SUCCESS, NEGATIVE, ERROR, UNKNOWN, LOCKED, CANNOT_RUN, NOT_FOUND, HANGUP, INTERRUPTED, TERMINATED];

/// The codes every tool can return: success, an error, and an interruption.
pub const COMMON: &[u8] = &[SUCCESS, ERROR, INTERRUPTED];

/// How a tool's `run` ended when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: the query's answer is negative.
    Negative,
    /// Any other exit code the tool documents (e.g. 2 for a critical threshold, 130 for Esc).
    Code(u8),
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => SUCCESS,
            Outcome::Negative => NEGATIVE,
            Outcome::Code(c) => c,
        }
    }

    /// `Negative` when `found` is true, `Success` otherwise: diff(1)'s convention.
    pub fn negative_if(found: bool) -> Outcome {
        if found { Outcome::Negative } else { Outcome::Success }
    }
}

/// An error that decides the process's exit code itself.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ExitError {
    pub code: u8,
    pub message: String,
}

impl ExitError {
    pub fn new(code: u8, message: impl Into<String>) -> ExitError {
        ExitError { code, message: message.into() }
    }

    /// An error or a usage mistake: exit [`ERROR`].
    pub fn usage(message: impl Into<String>) -> ExitError {
        ExitError::new(ERROR, message)
    }
}

/// The exit code for an error chain: the first cause that knows its code wins, otherwise 2.
pub fn code_of(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<ExitError>() {
            return e.code;
        }
        if cause.downcast_ref::<crate::lock::LockHeld>().is_some() {
            return LOCKED;
        }
    }
    ERROR
}
