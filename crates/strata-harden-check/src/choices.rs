//! The settings whose value is one word out of a fixed list (`ProtectSystem=strict`,
//! `NotifyAccess=all`, ...), as enums: each spells its words once, and the parser and the checks
//! compare variants, not strings.

/// A setting that takes one word out of a fixed list.
pub trait Choice: Sized + Copy + 'static {
    /// Every word systemd accepts, with its variant.
    const WORDS: &'static [(&'static str, Self)];

    /// The variant of a word, `None` when systemd would ignore it.
    fn from_word(w: &str) -> Option<Self> {
        Self::WORDS.iter().find(|(word, _)| *word == w).map(|&(_, v)| v)
    }
}

/// A setting that also takes a boolean: `yes` and `no` (and every other spelling of a boolean)
/// are two of its variants.
pub trait BoolChoice: Choice {
    const YES: Self;
    const NO: Self;
}

macro_rules! choice {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant),+
        }
        impl Choice for $name {
            const WORDS: &'static [(&'static str, Self)] = &[$(($word, $name::$variant)),+];
        }
    };
}

choice!(
    /// Type=
    ServiceType {
        Simple = "simple",
        Exec = "exec",
        Forking = "forking",
        Oneshot = "oneshot",
        Dbus = "dbus",
        Notify = "notify",
        Idle = "idle",
    }
);
choice!(
    /// KillMode=
    KillMode { ControlGroup = "control-group", Process = "process", Mixed = "mixed", None = "none" }
);
choice!(
    /// Restart=
    Restart {
        No = "no",
        OnSuccess = "on-success",
        OnFailure = "on-failure",
        OnAbnormal = "on-abnormal",
        OnWatchdog = "on-watchdog",
        OnAbort = "on-abort",
        Always = "always",
    }
);
choice!(
    /// NotifyAccess=
    NotifyAccess { None = "none", Main = "main", Exec = "exec", All = "all" }
);
choice!(
    /// KeyringMode=
    KeyringMode { Inherit = "inherit", Private = "private", Shared = "shared" }
);
choice!(
    /// ProtectProc=
    ProtectProc { NoAccess = "noaccess", Invisible = "invisible", Ptraceable = "ptraceable", Default = "default" }
);
choice!(
    /// ProcSubset=
    ProcSubset { All = "all", Pid = "pid" }
);
choice!(
    /// ProtectHome= (a boolean, `read-only` or `tmpfs`)
    ProtectHome { Yes = "yes", No = "no", ReadOnly = "read-only", Tmpfs = "tmpfs" }
);
choice!(
    /// ProtectSystem= (a boolean, `full` or `strict`)
    ProtectSystem { Yes = "yes", No = "no", Full = "full", Strict = "strict" }
);
choice!(
    /// DevicePolicy=
    DevicePolicy { Auto = "auto", Closed = "closed", Strict = "strict" }
);

impl BoolChoice for ProtectHome {
    const YES: Self = ProtectHome::Yes;
    const NO: Self = ProtectHome::No;
}

impl BoolChoice for ProtectSystem {
    const YES: Self = ProtectSystem::Yes;
    const NO: Self = ProtectSystem::No;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_exact_and_case_sensitive_as_systemd_reads_them() {
        assert_eq!(ProtectSystem::from_word("strict"), Some(ProtectSystem::Strict));
        assert_eq!(ProtectSystem::from_word("Strict"), None);
        assert_eq!(ProtectHome::from_word("read-only"), Some(ProtectHome::ReadOnly));
        assert_eq!(NotifyAccess::from_word("all"), Some(NotifyAccess::All));
        assert_eq!(KillMode::from_word("control-group"), Some(KillMode::ControlGroup));
        assert_eq!(Restart::from_word("on-abort"), Some(Restart::OnAbort));
        assert_eq!(DevicePolicy::from_word(""), None);
    }
}
