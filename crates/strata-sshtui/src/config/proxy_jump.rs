//! ProxyJump values: hops of `[user@]host[:port]` or `ssh://` URLs, as ssh parses and prints them.

use super::keywords::parse_port;

/// A ProxyJump value as ssh parses it: the last hop's user, host and port, and the hops before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jump {
    pub extra: Option<String>,
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl Jump {
    /// As `ssh -G` prints it.
    pub fn display(&self) -> String {
        let mut s = String::new();
        if let Some(e) = &self.extra {
            s.push_str(e);
            s.push(',');
        }
        if let Some(u) = &self.user {
            s.push_str(u);
            s.push('@');
        }
        if self.host.contains(':') {
            s.push_str(&format!("[{}]", self.host));
        } else {
            s.push_str(&self.host);
        }
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        s
    }
}

pub(super) fn parse_jump_syntax(s: &str) -> Result<Option<Jump>, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let mut hops: Vec<&str> = s.split(',').collect();
    let last = hops.pop().unwrap_or("");
    for h in &hops {
        parse_hop(h)?;
    }
    let (user, host, port) = parse_hop(last)?;
    let extra = if hops.is_empty() { None } else { Some(hops.join(",")) };
    Ok(Some(Jump { extra, user, host, port }))
}

/// `[user@]host[:port]` or `ssh://[user@]host[:port]`.
fn parse_hop(h: &str) -> Result<(Option<String>, String, Option<u16>), String> {
    let bad = || format!("invalid ProxyJump hop '{h}'");
    // OpenSSH 9.2 refuses a bracketed address in an ssh:// hop.
    if h.starts_with("ssh://") && h.contains('[') {
        return Err(bad());
    }
    let s = h.strip_prefix("ssh://").unwrap_or(h);
    let s = if h.starts_with("ssh://") { s.trim_end_matches('/') } else { s };
    let (user, hostport) = match s.rfind('@') {
        Some(i) => (Some(s[..i].to_string()), &s[i + 1..]),
        None => (None, s),
    };
    if user.as_deref() == Some("") {
        return Err(bad());
    }
    let (host, port) = if let Some(r) = hostport.strip_prefix('[') {
        let end = r.find(']').ok_or_else(bad)?;
        let host = &r[..end];
        let after = &r[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p).ok_or_else(bad)?),
            None if after.is_empty() => None,
            None => return Err(bad()),
        };
        (host.to_string(), port)
    } else {
        // Without brackets the first `:` ends the host (so `::1` is refused, as ssh does).
        match hostport.split_once(':') {
            Some((h2, "")) => (h2.to_string(), None),
            Some((h2, p)) => (h2.to_string(), Some(parse_port(p).ok_or_else(bad)?)),
            None => (hostport.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok((user, host, port))
}
