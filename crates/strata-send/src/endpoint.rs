//! Where a send reads and writes: SOURCE and TARGET as typed on the command line, and the
//! commands that run there (as they are on this host, or as one quoted string through ssh).

use std::ffi::OsString;
use std::fmt;
use std::os::unix::ffi::OsStringExt;

use strata_core::runner::Cmd;
use strata_core::shell::quote_argv;
use strata_zfs::name::{check_dataset, check_snapshot_part};

/// A bad SOURCE or TARGET: exit 2, nothing run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {given:?}: {why}")]
pub struct LocationError {
    pub what: &'static str,
    pub given: String,
    pub why: String,
}

/// The host of a remote side, as ssh takes it: `host` or `user@host`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Host(pub String);

/// A dataset on this host or on another one, with a snapshot for a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub host: Option<Host>,
    pub dataset: String,
    /// The part after '@' (sources only).
    pub snapshot: Option<String>,
}

impl Location {
    /// `pool/ds`, `pool/ds@snap`, `[user@]host:pool/ds[@snap]`.
    pub fn source(s: &str) -> Result<Location, LocationError> {
        parse(s, "SOURCE", true)
    }

    /// `pool/ds` or `[user@]host:pool/ds`: never a snapshot or a bookmark.
    pub fn target(s: &str) -> Result<Location, LocationError> {
        parse(s, "TARGET", false)
    }

    /// `host:` before a name of this location, empty on this host.
    pub fn prefix(&self) -> String {
        self.host.as_ref().map(|h| format!("{}:", h.0)).unwrap_or_default()
    }

    /// The location as typed: `[host:]pool/ds`.
    pub fn dataset_display(&self) -> String {
        format!("{}{}", self.prefix(), self.dataset)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.dataset_display())?;
        if let Some(s) = &self.snapshot {
            write!(f, "@{s}")?;
        }
        Ok(())
    }
}

fn parse(s: &str, what: &'static str, snapshot_allowed: bool) -> Result<Location, LocationError> {
    let bad = |why: &str| LocationError { what, given: s.to_string(), why: why.to_string() };
    if s.is_empty() {
        return Err(bad("empty"));
    }
    // A colon before the first '/' (and before '@') separates a host, as scp and rsync read it.
    let first_slash = s.find(['/', '@']).unwrap_or(s.len());
    let (host, rest) = match s[..first_slash].find(':') {
        Some(i) => (Some(check_host(&s[..i]).map_err(|w| bad(&w))?), &s[i + 1..]),
        None => {
            // `user@host:pool/ds`: the '@' of the user comes before the colon.
            match s.split_once(':') {
                Some((h, r)) if h.contains('@') && !h.contains('/') => (Some(check_host(h).map_err(|w| bad(&w))?), r),
                _ => (None, s),
            }
        }
    };
    if rest.is_empty() {
        return Err(bad("no dataset after the host"));
    }
    if rest.contains('#') {
        return Err(bad("a bookmark cannot be sent or received; name its dataset"));
    }
    let (dataset, snapshot) = match rest.split_once('@') {
        Some((d, snap)) => {
            if !snapshot_allowed {
                return Err(bad(
                    "a snapshot cannot be a target; name the dataset to receive into (it is created when missing)",
                ));
            }
            check_dataset(d).map_err(|e| bad(&e.to_string()))?;
            check_snapshot_part(d, snap).map_err(|e| bad(&e.to_string()))?;
            (d, Some(snap.to_string()))
        }
        None => (rest, None),
    };
    check_dataset(dataset).map_err(|e| bad(&e.to_string()))?;
    Ok(Location { host, dataset: dataset.to_string(), snapshot })
}

/// A host as ssh will take it as its destination argument: not empty, never an option.
fn check_host(h: &str) -> Result<Host, String> {
    let (user, host) = match h.rsplit_once('@') {
        Some((u, host)) => (Some(u), host),
        None => (None, h),
    };
    if host.is_empty() {
        return Err("empty host before ':'".into());
    }
    if user.is_some_and(str::is_empty) {
        return Err("empty user before '@'".into());
    }
    if h.starts_with('-') {
        return Err("a host cannot start with '-' (ssh would read it as an option)".into());
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || "._-[]%".contains(c);
    if !host.chars().all(ok) || user.is_some_and(|u| !u.chars().all(|c| ok(c) || c == '\\')) {
        return Err(format!("{h:?} is not a host name (letters, digits, '.', '-', '_', user@host)"));
    }
    Ok(Host(h.to_string()))
}

/// How commands reach a remote host: `ssh -o BatchMode=yes [-o OPT]... -- HOST 'COMMAND'`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ssh {
    /// `--ssh-option` values, each passed as `-o VALUE`.
    pub options: Vec<String>,
}

/// The program that carries commands to another host. Looked up on PATH.
pub const SSH: &str = "ssh";

impl Ssh {
    /// `cmd` as it runs at `host`: itself on this host, or ssh with the command as one string
    /// quoted for the remote shell by strata-core's tested quoting (a name with spaces, quotes or
    /// `$` arrives as it was). The effect stays the command's own.
    pub fn at(&self, host: Option<&Host>, cmd: Cmd) -> Result<Cmd, strata_core::shell::NulInArgument> {
        let Some(host) = host else {
            return Ok(cmd);
        };
        let remote = OsString::from_vec(quote_argv(&cmd.argv())?);
        let mut ssh = Cmd { program: SSH.into(), args: Vec::new(), effect: cmd.effect }.args(["-o", "BatchMode=yes"]);
        for o in &self.options {
            ssh = ssh.arg("-o").arg(o);
        }
        Ok(ssh.arg("--").arg(&host.0).arg(remote))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(host: Option<&str>, ds: &str, snap: Option<&str>) -> Location {
        Location { host: host.map(|h| Host(h.into())), dataset: ds.into(), snapshot: snap.map(str::to_string) }
    }

    #[test]
    fn sources_and_targets() {
        assert_eq!(Location::source("tank/a").unwrap(), loc(None, "tank/a", None));
        assert_eq!(Location::source("tank/my data@s 1").unwrap(), loc(None, "tank/my data", Some("s 1")));
        assert_eq!(Location::source("backup:tank/a@s").unwrap(), loc(Some("backup"), "tank/a", Some("s")));
        assert_eq!(Location::source("root@127.0.0.1:tank/a").unwrap(), loc(Some("root@127.0.0.1"), "tank/a", None));
        assert_eq!(Location::target("h.example.org:b/x:y").unwrap(), loc(Some("h.example.org"), "b/x:y", None));
        // A colon after the first '/' is part of a dataset name.
        assert_eq!(Location::target("tank/a:b").unwrap(), loc(None, "tank/a:b", None));
        assert_eq!(Location::target("u@h:tank").unwrap().to_string(), "u@h:tank");
        assert_eq!(Location::source("u@h:tank/a@s").unwrap().to_string(), "u@h:tank/a@s");
    }

    #[test]
    fn bad_input_says_what_is_wrong() {
        let why = |r: Result<Location, LocationError>| r.unwrap_err().to_string();
        assert!(why(Location::target("tank/a@s1")).contains("a snapshot cannot be a target"));
        assert!(why(Location::target("h:tank/a@s1")).contains("a snapshot cannot be a target"));
        assert!(why(Location::source("")).contains("empty"));
        assert!(why(Location::source(":tank/a")).contains("empty host"));
        assert!(why(Location::source("h:")).contains("no dataset after the host"));
        assert!(why(Location::source("@h:tank/a")).contains("empty user"));
        assert!(why(Location::source("-oProxyCommand=x:tank/a")).contains("cannot start with '-'"));
        assert!(why(Location::source("-h:tank/a")).contains("cannot start with '-'"));
        assert!(why(Location::source("tank/a@")).contains("nothing after '@'"));
        assert!(why(Location::source("tank//a")).contains("invalid dataset name"));
        assert!(why(Location::source("tank/a#b")).contains("bookmark"));
        assert!(why(Location::source("h h:tank/a")).contains("not a host name"));
        assert!(why(Location::target("h:tank/a;b")).contains("invalid dataset name"));
    }

    #[test]
    fn remote_commands_are_one_quoted_string() {
        let ssh = Ssh { options: vec!["Port=2222".into(), "ConnectTimeout=5".into()] };
        let cmd = strata_zfs::send::recv_command("b/my data", strata_zfs::send::RecvOptions::default());
        let local = ssh.at(None, cmd.clone()).unwrap();
        assert_eq!(local, cmd);
        let remote = ssh.at(Some(&Host("root@h".into())), cmd.clone()).unwrap();
        assert_eq!(
            remote.argv_strings(),
            [
                "ssh",
                "-o",
                "BatchMode=yes",
                "-o",
                "Port=2222",
                "-o",
                "ConnectTimeout=5",
                "--",
                "root@h",
                "zfs recv -s 'b/my data'"
            ]
        );
        assert_eq!(remote.effect, cmd.effect);
        // The remote shell splits the string back into exactly the argv.
        let words = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s\\n' {}", remote.args.last().unwrap().to_string_lossy()))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&words.stdout), "zfs\nrecv\n-s\nb/my data\n");
    }
}
