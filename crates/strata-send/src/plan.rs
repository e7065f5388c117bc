//! What to send, decided from both sides' snapshots by guid, never by name.

use serde::Serialize;
use strata_zfs::send::{Kind, Listed, Stream};

use crate::token::{self, ResumeToken};

/// The result modes of a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Full,
    Incremental,
    Resume,
    UpToDate,
}

/// The target as its listing found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetState {
    /// No such dataset (its parent exists).
    Missing,
    Present {
        /// Its snapshots (bookmarks left out), oldest first.
        snapshots: Vec<Listed>,
        /// `receive_resume_token`, when a receive was interrupted.
        token: Option<String>,
    },
}

/// What the plan asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Wanted<'a> {
    /// The snapshot (after '@') to send; the newest when `None`.
    pub snapshot: Option<&'a str>,
    pub intermediates: bool,
    /// `--force` (with a matching `--confirm`): `zfs recv -F`.
    pub force: bool,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub mode: Mode,
    /// The snapshot sent (or already there), full name on the source.
    pub snapshot: String,
    /// The incremental base, full name on the source (a snapshot or a bookmark).
    pub from: Option<String>,
    /// `None` when up to date.
    pub stream: Option<Stream>,
    /// `zfs recv -F`.
    pub force: bool,
    /// The token, for a resume.
    pub token: Option<ResumeToken>,
}

/// Why nothing is sent: exit 2, nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0} has no snapshot to send")]
    NoSnapshot(String),
    #[error("{0} has no snapshot {1:?}")]
    NoSuchSnapshot(String, String),
    #[error(
        "the target has diverged from the source: its newest snapshot {newest} is not on the source (by guid); \
         snapshots only the target has: {}. Nothing was changed. To overwrite them, run again with --force --confirm={target}",
        only.join(", ")
    )]
    Diverged { target: String, newest: String, only: Vec<String> },
    #[error(
        "the target {target} has diverged from the source and has no snapshot in common with it; nothing was changed. \
         Destroy or rename it to send it again in full"
    )]
    NothingInCommon { target: String },
    #[error(
        "the target {target} exists and has no snapshot; nothing was changed. To overwrite it, run again with --force \
         --confirm={target}"
    )]
    NoBase { target: String },
    #[error("the target already has {newer}, newer than {wanted}; nothing to send")]
    TargetAhead { newer: String, wanted: String },
    #[error(
        "the target {target} holds a partly received {toname} that the source no longer has (guid {toguid:#x}); \
         nothing was changed. Run again with --abort-resume to discard the partial receive and send afresh"
    )]
    Stale { target: String, toname: String, toguid: u64 },
    #[error(
        "the receive_resume_token of {target} cannot be read: {error}. Run again with --abort-resume to discard it"
    )]
    BadToken { target: String, error: token::TokenError },
}

/// Decides what to send from `source_ds`'s listing (snapshots and bookmarks) to the target
/// `target_name` (as shown in messages).
pub fn decide(
    source_ds: &str,
    source: &[Listed],
    target_name: &str,
    target: &TargetState,
    want: Wanted<'_>,
) -> Result<Plan, Refusal> {
    let snapshots = || source.iter().filter(|e| e.kind == Kind::Snapshot);
    let sent = match want.snapshot {
        Some(s) => {
            let full = format!("{source_ds}@{s}");
            snapshots().find(|e| e.name == full).ok_or_else(|| Refusal::NoSuchSnapshot(source_ds.into(), s.into()))?
        }
        None => snapshots().max_by_key(|e| e.createtxg).ok_or_else(|| Refusal::NoSnapshot(source_ds.into()))?,
    };
    let (snapshots_t, token) = match target {
        TargetState::Missing => {
            return Ok(full(sent, false));
        }
        TargetState::Present { snapshots, token } => (snapshots, token),
    };
    if let Some(t) = token {
        let decoded = token::decode(t).map_err(|error| Refusal::BadToken { target: target_name.into(), error })?;
        let Some(to) = snapshots().find(|e| e.guid == decoded.toguid) else {
            return Err(Refusal::Stale {
                target: target_name.into(),
                toname: decoded.toname.clone(),
                toguid: decoded.toguid,
            });
        };
        let from = decoded.fromguid.and_then(|g| by_guid(source, g)).map(|e| e.name.clone());
        return Ok(Plan {
            mode: Mode::Resume,
            snapshot: to.name.clone(),
            from,
            stream: Some(Stream::Resume { token: t.clone() }),
            force: false,
            token: Some(decoded),
        });
    }
    let Some(newest) = snapshots_t.iter().max_by_key(|e| e.createtxg) else {
        return if want.force { Ok(full(sent, true)) } else { Err(Refusal::NoBase { target: target_name.into() }) };
    };
    let base = match by_guid(source, newest.guid) {
        Some(b) => b,
        None if want.force => {
            // The newest snapshot the two still share; recv -F rolls the target back to it.
            let common = snapshots_t.iter().rev().find_map(|t| by_guid(source, t.guid));
            match common {
                Some(b) => return Ok(incremental(b, sent, want, true)),
                None => return Err(Refusal::NothingInCommon { target: target_name.into() }),
            }
        }
        None => {
            let common_txg = snapshots_t.iter().rev().find(|t| by_guid(source, t.guid).is_some()).map(|t| t.createtxg);
            let only = snapshots_t
                .iter()
                .filter(|t| common_txg.is_none_or(|c| t.createtxg > c) && by_guid(source, t.guid).is_none())
                .map(|t| t.name.clone())
                .collect();
            return Err(Refusal::Diverged { target: target_name.into(), newest: newest.name.clone(), only });
        }
    };
    if base.guid == sent.guid {
        return Ok(Plan {
            mode: Mode::UpToDate,
            snapshot: sent.name.clone(),
            from: None,
            stream: None,
            force: false,
            token: None,
        });
    }
    if base.createtxg > sent.createtxg {
        return Err(Refusal::TargetAhead { newer: base.name.clone(), wanted: sent.name.clone() });
    }
    Ok(incremental(base, sent, want, want.force))
}

/// The source's snapshot of that guid, or else its newest bookmark of it.
fn by_guid(source: &[Listed], guid: u64) -> Option<&Listed> {
    source.iter().filter(|e| e.guid == guid).min_by_key(|e| (e.kind, std::cmp::Reverse(e.createtxg)))
}

fn full(sent: &Listed, force: bool) -> Plan {
    Plan {
        mode: Mode::Full,
        snapshot: sent.name.clone(),
        from: None,
        stream: Some(Stream::Full { snapshot: sent.name.clone() }),
        force,
        token: None,
    }
}

fn incremental(base: &Listed, sent: &Listed, want: Wanted<'_>, force: bool) -> Plan {
    // -I sends every snapshot in between; it needs a snapshot as its base (a bookmark takes -i).
    let intermediates = want.intermediates && base.kind == Kind::Snapshot;
    Plan {
        mode: Mode::Incremental,
        snapshot: sent.name.clone(),
        from: Some(base.name.clone()),
        stream: Some(Stream::Incremental { from: base.name.clone(), snapshot: sent.name.clone(), intermediates }),
        force,
        token: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(name: &str, guid: u64, txg: u64) -> Listed {
        let kind = if name.contains('#') { Kind::Bookmark } else { Kind::Snapshot };
        Listed { name: name.into(), kind, guid, createtxg: txg }
    }

    fn src() -> Vec<Listed> {
        vec![e("t/a@s1", 1, 10), e("t/a@s2", 2, 20), e("t/a@s3", 3, 30)]
    }

    fn present(v: Vec<Listed>) -> TargetState {
        TargetState::Present { snapshots: v, token: None }
    }

    const W: Wanted<'static> = Wanted { snapshot: None, intermediates: true, force: false };

    #[test]
    fn full_when_the_target_is_missing_newest_by_default() {
        let p = decide("t/a", &src(), "b/a", &TargetState::Missing, W).unwrap();
        assert_eq!((p.mode, p.snapshot.as_str(), p.from), (Mode::Full, "t/a@s3", None));
        assert_eq!(p.stream, Some(Stream::Full { snapshot: "t/a@s3".into() }));
        let p = decide("t/a", &src(), "b/a", &TargetState::Missing, Wanted { snapshot: Some("s2"), ..W }).unwrap();
        assert_eq!(p.snapshot, "t/a@s2");
        assert_eq!(
            decide("t/a", &src(), "b/a", &TargetState::Missing, Wanted { snapshot: Some("nope"), ..W }),
            Err(Refusal::NoSuchSnapshot("t/a".into(), "nope".into()))
        );
        assert_eq!(decide("t/a", &[], "b/a", &TargetState::Missing, W), Err(Refusal::NoSnapshot("t/a".into())));
    }

    #[test]
    fn incremental_from_the_target_newest_by_guid_not_by_name() {
        // The target's snapshot has another name but the guid of s1.
        let t = present(vec![e("b/a@renamed", 1, 5)]);
        let p = decide("t/a", &src(), "b/a", &t, W).unwrap();
        assert_eq!(p.mode, Mode::Incremental);
        assert_eq!(
            p.stream,
            Some(Stream::Incremental { from: "t/a@s1".into(), snapshot: "t/a@s3".into(), intermediates: true })
        );
        let p = decide("t/a", &src(), "b/a", &t, Wanted { intermediates: false, ..W }).unwrap();
        assert_eq!(
            p.stream,
            Some(Stream::Incremental { from: "t/a@s1".into(), snapshot: "t/a@s3".into(), intermediates: false })
        );
        // A same-named snapshot with another guid is no base.
        let t = present(vec![e("b/a@s1", 99, 5)]);
        assert!(matches!(decide("t/a", &src(), "b/a", &t, W), Err(Refusal::Diverged { .. })));
    }

    #[test]
    fn a_bookmark_is_the_base_when_its_snapshot_is_gone() {
        let source = vec![e("t/a#strata-send-x", 1, 10), e("t/a@s2", 2, 20), e("t/a@s3", 3, 30)];
        let p = decide("t/a", &source, "b/a", &present(vec![e("b/a@s1", 1, 5)]), W).unwrap();
        assert_eq!(p.from.as_deref(), Some("t/a#strata-send-x"));
        assert_eq!(
            p.stream,
            Some(Stream::Incremental {
                from: "t/a#strata-send-x".into(),
                snapshot: "t/a@s3".into(),
                intermediates: false
            })
        );
        // With both, the snapshot wins (it allows -I).
        let mut both = source.clone();
        both.push(e("t/a@s1", 1, 10));
        let p = decide("t/a", &both, "b/a", &present(vec![e("b/a@s1", 1, 5)]), W).unwrap();
        assert_eq!(p.from.as_deref(), Some("t/a@s1"));
    }

    #[test]
    fn up_to_date_and_ahead() {
        let t = present(vec![e("b/a@s1", 1, 5), e("b/a@s3", 3, 7)]);
        let p = decide("t/a", &src(), "b/a", &t, W).unwrap();
        assert_eq!((p.mode, p.stream), (Mode::UpToDate, None));
        assert_eq!(
            decide("t/a", &src(), "b/a", &t, Wanted { snapshot: Some("s2"), ..W }),
            Err(Refusal::TargetAhead { newer: "t/a@s3".into(), wanted: "t/a@s2".into() })
        );
    }

    #[test]
    fn diverged_is_refused_naming_the_target_only_snapshots_and_forced_from_the_common_one() {
        let t = present(vec![e("b/a@s1", 1, 5), e("b/a@mine", 50, 6), e("b/a@mine2", 51, 7)]);
        let r = decide("t/a", &src(), "b/a", &t, W).unwrap_err();
        assert_eq!(
            r,
            Refusal::Diverged {
                target: "b/a".into(),
                newest: "b/a@mine2".into(),
                only: vec!["b/a@mine".into(), "b/a@mine2".into()]
            }
        );
        assert!(r.to_string().contains("b/a@mine, b/a@mine2") && r.to_string().contains("--confirm=b/a"));
        let p = decide("t/a", &src(), "b/a", &t, Wanted { force: true, ..W }).unwrap();
        assert_eq!((p.mode, p.from.as_deref(), p.force), (Mode::Incremental, Some("t/a@s1"), true));
        let alien = present(vec![e("b/a@x", 77, 5)]);
        assert_eq!(
            decide("t/a", &src(), "b/a", &alien, Wanted { force: true, ..W }),
            Err(Refusal::NothingInCommon { target: "b/a".into() })
        );
        let empty = present(vec![]);
        assert_eq!(decide("t/a", &src(), "b/a", &empty, W), Err(Refusal::NoBase { target: "b/a".into() }));
        let p = decide("t/a", &src(), "b/a", &empty, Wanted { force: true, ..W }).unwrap();
        assert_eq!((p.mode, p.force), (Mode::Full, true));
    }

    #[test]
    fn a_token_resumes_when_the_source_still_has_its_snapshot() {
        let tok = |toguid, fromguid| {
            token::encode(
                &ResumeToken { toname: "t/a@s3".into(), toguid, fromguid, object: 1, offset: 2, bytes: 3 },
                &[],
            )
        };
        let t = TargetState::Present { snapshots: vec![e("b/a@s1", 1, 5)], token: Some(tok(3, Some(1))) };
        let p = decide("t/a", &src(), "b/a", &t, W).unwrap();
        assert_eq!((p.mode, p.snapshot.as_str(), p.from.as_deref()), (Mode::Resume, "t/a@s3", Some("t/a@s1")));
        assert!(matches!(p.stream, Some(Stream::Resume { .. })));
        let stale = TargetState::Present { snapshots: vec![], token: Some(tok(42, None)) };
        let r = decide("t/a", &src(), "b/a", &stale, W).unwrap_err();
        assert!(matches!(r, Refusal::Stale { toguid: 42, .. }));
        assert!(r.to_string().contains("--abort-resume"), "{r}");
        let bad = TargetState::Present { snapshots: vec![], token: Some("1-zz".into()) };
        let r = decide("t/a", &src(), "b/a", &bad, W).unwrap_err();
        assert!(matches!(r, Refusal::BadToken { .. }) && r.to_string().contains("--abort-resume"), "{r}");
    }
}
