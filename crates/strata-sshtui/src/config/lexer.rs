//! Splitting a line as ssh does: the keyword, its words (argv_split and strdelim), comments.

/// `# tags: prod db` (the text after `#`).
pub(super) fn parse_tags(comment: &str) -> Option<Vec<String>> {
    let c = comment.trim_start_matches('#').trim();
    let (head, rest) = c.split_once(':')?;
    if !head.trim().eq_ignore_ascii_case("tags") {
        return None;
    }
    Some(rest.split([' ', '\t', ',']).filter(|t| !t.is_empty()).map(str::to_string).collect())
}

/// The comment that ends a line, if any (a `#` where a new word would begin).
pub(super) fn comment_after(rest: &str) -> Option<String> {
    let b = rest.as_bytes();
    let mut quote = 0u8;
    let mut at_start = true;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if quote != 0 {
            if c == quote {
                quote = 0;
            }
        } else if c == b' ' || c == b'\t' {
            at_start = true;
            i += 1;
            continue;
        } else if c == b'#' && at_start {
            return Some(rest[i + 1..].to_string());
        } else if c == b'"' || c == b'\'' {
            quote = c;
        } else if c == b'\\' {
            i += 1;
        }
        at_start = false;
        i += 1;
    }
    None
}

/// The value of ProxyJump / ProxyCommand as ssh keeps it: the rest of the line, comment removed.
pub(super) fn strip_rest(rest: &str) -> String {
    let s = match rest.find('#') {
        Some(i) => &rest[..i],
        None => rest,
    };
    s.trim_end_matches([' ', '\t', '\r', '\n']).to_string()
}

/// Splits the keyword off like ssh's strdelim: whitespace and at most one `=` separate it.
pub(super) fn split_keyword(line: &str) -> (&str, &str) {
    let is_ws = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let Some(end) = line.find(|c: char| is_ws(c) || c == '=' || c == '"') else {
        return (line, "");
    };
    let kw = &line[..end];
    let mut rest = &line[end..];
    let mut seen_eq = false;
    if let Some(r) = rest.strip_prefix('"') {
        // A quoted keyword is unusual; treat the quote as ending it.
        return (kw, r);
    }
    if rest.starts_with('=') {
        seen_eq = true;
    }
    rest = rest[1..].trim_start_matches(is_ws);
    if !seen_eq && rest.starts_with('=') {
        rest = rest[1..].trim_start_matches(is_ws);
    }
    (kw, rest)
}

/// ssh's argv_split: words separated by blanks, `'` and `"` quoting, backslash escapes for quotes,
/// backslash and (outside quotes) space; `#` at the start of a word ends the line.
pub fn argv_split(s: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' || c == '\t' {
            i += 1;
            continue;
        }
        if c == '#' {
            break;
        }
        let mut arg = String::new();
        let mut quote: Option<char> = None;
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' {
                let next = chars.get(i + 1).copied();
                match next {
                    Some(n) if n == '\'' || n == '"' || n == '\\' || (quote.is_none() && n == ' ') => {
                        arg.push(n);
                        i += 2;
                        continue;
                    }
                    _ => arg.push(c),
                }
            } else if quote.is_none() && (c == ' ' || c == '\t') {
                break;
            } else if quote.is_none() && (c == '"' || c == '\'') {
                quote = Some(c);
            } else if quote == Some(c) {
                quote = None;
            } else {
                arg.push(c);
            }
            i += 1;
        }
        if quote.is_some() {
            return Err("invalid quotes".into());
        }
        out.push(arg);
    }
    Ok(out)
}

/// ssh's strdelim for Match criteria: blanks and one `=` separate, `"` quotes.
pub(super) fn strdelim_all(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        if rest.is_empty() {
            return Ok(out);
        }
        if let Some(r) = rest.strip_prefix('"') {
            let Some(end) = r.find('"') else { return Err("invalid quotes".into()) };
            out.push(r[..end].to_string());
            rest = &r[end + 1..];
            continue;
        }
        let end = rest.find([' ', '\t', '\r', '\n', '"', '=']).unwrap_or(rest.len());
        out.push(rest[..end].to_string());
        rest = &rest[end..];
        if rest.starts_with('=') {
            rest = &rest[1..];
        }
    }
}
