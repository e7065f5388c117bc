//! The command lines of a unit file as systemd runs them: `ExecStart=` and `Environment=` of the
//! `[Service]` section, each split into words (systemd's quoting: single and double quotes, C
//! escapes), then unit specifiers resolved in each word (`%i`, `%I`, `%n`, `%N`, `%p`, `%P`,
//! `%%`), for one instance of a template. Depends on std only, so the real-ZFS scenarios can
//! include this file (`#[path]`) and run `strata@.service`'s lines as systemd would.
//!
//! What the contrib units do not use is refused, never guessed: line continuations, `$VARIABLE`
//! expansion (the units turn it off with the `:` prefix), other specifiers, `;` between commands.

#![allow(dead_code)]

/// One `ExecStart=` command: argv\[0\] is the executable's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exec {
    /// `-`: a failure is recorded but ignored.
    pub ignore_failure: bool,
    pub argv: Vec<String>,
}

/// `systemd-escape STRING`: `/` becomes `-`; a leading `.`, `-`, `\` and every byte outside
/// `[A-Za-z0-9:_.]` become `\xNN`.
pub fn escape(s: &str) -> String {
    let mut out = String::new();
    for (i, &b) in s.as_bytes().iter().enumerate() {
        match b {
            b'/' => out.push('-'),
            b'.' if i == 0 => out.push_str("\\x2e"),
            b if b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'.') => out.push(b as char),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// `systemd-escape -u STRING`, as `%I` unescapes the instance: `-` is `/`, `\xNN` a byte.
pub fn unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'-' => out.push(b'/'),
            b'\\' => {
                let hex = b.get(i + 1..i + 4).filter(|h| h[0] == b'x').ok_or(format!("bad escape in {s:?}"))?;
                let v = std::str::from_utf8(&hex[1..]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                out.push(v.ok_or(format!("bad escape in {s:?}"))?);
                i += 3;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} unescapes to bytes that are not UTF-8"))
}

/// The `ExecStart=` commands of `unit` (a template's text) for `instance` (escaped, as in the
/// unit name `strata@INSTANCE.service`); `template` is the file name, `strata@.service`.
pub fn exec_start(unit: &str, template: &str, instance: &str) -> Result<Vec<Exec>, String> {
    let mut cmds: Vec<Exec> = Vec::new();
    for (line, value) in assignments(unit, "Service", "ExecStart")? {
        if value.is_empty() {
            cmds.clear();
            continue;
        }
        let err = |m: String| format!("line {line}: {m}");
        let words = split(&value).map_err(err)?;
        let Some(first) = words.first() else { return Err(err("no command".into())) };
        let rest = first.trim_start_matches(['-', '@', ':', '+', '!']);
        let prefixes = &first[..first.len() - rest.len()];
        if prefixes.contains('@') {
            return Err(err("the @ prefix is not supported here".into()));
        }
        if !prefixes.contains(':') && words.iter().any(|w| w.contains('$')) {
            return Err(err("$ expansion is not supported here: use the ':' prefix".into()));
        }
        if words.iter().skip(1).any(|w| w == ";") {
            return Err(err("';' between commands is not supported here".into()));
        }
        let mut argv = vec![rest.to_string()];
        argv.extend(words[1..].iter().cloned());
        let argv =
            argv.iter().map(|w| specifiers(w, template, instance)).collect::<Result<Vec<_>, _>>().map_err(err)?;
        if !argv[0].starts_with('/') {
            return Err(err(format!("{:?} is not an absolute path", argv[0])));
        }
        cmds.push(Exec { ignore_failure: prefixes.contains('-'), argv });
    }
    Ok(cmds)
}

/// The `Environment=` assignments of `unit`'s `[Service]`, in order, specifiers resolved.
pub fn environment(unit: &str, template: &str, instance: &str) -> Result<Vec<(String, String)>, String> {
    let mut env = Vec::new();
    for (line, value) in assignments(unit, "Service", "Environment")? {
        if value.is_empty() {
            env.clear();
            continue;
        }
        for w in split(&value).map_err(|m| format!("line {line}: {m}"))? {
            let w = specifiers(&w, template, instance).map_err(|m| format!("line {line}: {m}"))?;
            let (k, v) = w.split_once('=').ok_or(format!("line {line}: {w:?} is not KEY=VALUE"))?;
            env.push((k.to_string(), v.to_string()));
        }
    }
    Ok(env)
}

/// `(line number, value)` of every `key=` in `section`.
fn assignments(unit: &str, section: &str, key: &str) -> Result<Vec<(usize, String)>, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, raw) in unit.lines().enumerate() {
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        if l.ends_with('\\') {
            return Err(format!("line {}: a continued line is not supported here", i + 1));
        }
        if let Some(s) = l.strip_prefix('[') {
            current = s.strip_suffix(']').ok_or(format!("line {}: bad section header", i + 1))?.to_string();
            continue;
        }
        let (k, v) = l.split_once('=').ok_or(format!("line {}: not an assignment", i + 1))?;
        if current == section && k.trim() == key {
            out.push((i + 1, v.trim().to_string()));
        }
    }
    Ok(out)
}

/// Words as systemd's `extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE)` takes them:
/// whitespace separates, quotes group (anywhere in a word) and go, C escapes are decoded inside
/// and outside quotes.
pub fn split(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(words);
        }
        let mut w = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (c, quote) {
                ('\\', _) => w.push(unescape_one(&mut chars)?),
                (q, None) if q == '\'' || q == '"' => quote = Some(q),
                (q, Some(open)) if q == open => quote = None,
                (c, None) if c.is_ascii_whitespace() => break,
                (c, _) => w.push(c),
            }
        }
        if quote.is_some() {
            return Err(format!("unbalanced quote in {s:?}"));
        }
        words.push(w);
    }
}

fn unescape_one(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<char, String> {
    let c = chars.next().ok_or("a backslash ends the line")?;
    Ok(match c {
        'a' => '\x07',
        'b' => '\x08',
        'f' => '\x0c',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\x0b',
        's' => ' ',
        '\\' | '"' | '\'' => c,
        'x' => {
            let h: String = [chars.next(), chars.next()].into_iter().flatten().collect();
            u8::from_str_radix(&h, 16).map(char::from).map_err(|_| format!("bad escape \\x{h}"))?
        }
        c => return Err(format!("escape \\{c} is not supported here")),
    })
}

/// Resolves `%i %I %n %N %p %P %%` in one word for `template` (`name@.type`) and `instance`.
pub fn specifiers(w: &str, template: &str, instance: &str) -> Result<String, String> {
    let (prefix, suffix) = template.split_once("@.").ok_or(format!("{template} is not a template"))?;
    let mut out = String::new();
    let mut chars = w.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('i') => out.push_str(instance),
            Some('I') => out.push_str(&unescape(instance)?),
            Some('n') => out.push_str(&format!("{prefix}@{instance}.{suffix}")),
            Some('N') => out.push_str(&format!("{prefix}@{instance}")),
            Some('p') => out.push_str(prefix),
            Some('P') => out.push_str(&unescape(prefix)?),
            other => return Err(format!("specifier %{} is not supported here", other.unwrap_or(' '))),
        }
    }
    Ok(out)
}
