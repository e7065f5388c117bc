//! The one function that turns an argv into a command string for a remote POSIX shell
//! (`ssh host COMMAND`: ssh joins its arguments with spaces and the remote user's shell parses
//! them). Everything else in strata runs programs with an argv and never builds a shell string.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("argument {index} holds a NUL byte, which no shell command can carry")]
pub struct NulInArgument {
    pub index: usize,
}

/// Quotes each argument so that a POSIX shell (`sh -c`) splits the result back into exactly the
/// same bytes: words made only of safe characters stay as they are, everything else is wrapped in
/// single quotes with each `'` written as `'\''`. The empty argument becomes `''`.
pub fn quote_argv<S: AsRef<OsStr>>(argv: &[S]) -> Result<Vec<u8>, NulInArgument> {
    let mut out = Vec::new();
    for (index, arg) in argv.iter().enumerate() {
        let bytes = arg.as_ref().as_bytes();
        if bytes.contains(&0) {
            return Err(NulInArgument { index });
        }
        if index > 0 {
            out.push(b' ');
        }
        quote_word(bytes, &mut out);
    }
    Ok(out)
}

fn quote_word(word: &[u8], out: &mut Vec<u8>) {
    let safe = |b: &u8| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(b);
    if !word.is_empty() && word.iter().all(safe) {
        out.extend_from_slice(word);
        return;
    }
    out.push(b'\'');
    for &b in word {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
}

/// The same quoting, for showing a command to a person (`--dry-run`, error messages).
pub fn display_argv<S: AsRef<OsStr>>(argv: &[S]) -> String {
    let mut out = Vec::new();
    for (i, arg) in argv.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        quote_word(arg.as_ref().as_bytes(), &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    use std::process::Command;

    /// Runs `sh -c 'printf "%s\0" QUOTED'` and splits what it printed on NUL.
    fn through_sh(argv: &[OsString]) -> Vec<Vec<u8>> {
        let mut script = b"printf '%s\\0' ".to_vec();
        script.extend(quote_argv(argv).unwrap());
        let out = Command::new("sh").arg("-c").arg(OsString::from_vec(script)).output().unwrap();
        assert!(out.status.success(), "sh failed: {}", String::from_utf8_lossy(&out.stderr));
        let mut words: Vec<Vec<u8>> = out.stdout.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
        assert_eq!(words.pop(), Some(vec![]), "output ends with NUL");
        words
    }

    #[test]
    fn known_hard_cases() {
        let cases: Vec<&[u8]> = vec![
            b"plain",
            b"",
            b"with space",
            b"it's",
            b"'",
            b"''",
            b"$(reboot)",
            b"`id`",
            b"a;b",
            b"a\nb",
            b"-rf",
            b"--",
            b"~root",
            b"*",
            b"a\\b",
            b"\"q\"",
            b"\xff\xfe",
            b"#comment",
            b"x=y",
            b"!",
            b"tank/srv/docker/victim.org@2023-08-08-00-00-06",
        ];
        let argv: Vec<OsString> = cases.iter().map(|c| OsString::from_vec(c.to_vec())).collect();
        let back = through_sh(&argv);
        assert_eq!(back, cases.iter().map(|c| c.to_vec()).collect::<Vec<_>>());
    }

    #[test]
    fn safe_words_stay_readable() {
        assert_eq!(display_argv(&["zfs", "destroy", "tank/a@s1,s2"]), "zfs destroy tank/a@s1,s2");
        assert_eq!(display_argv(&["zfs", "snapshot", "tank/my data@x"]), "zfs snapshot 'tank/my data@x'");
        assert_eq!(quote_argv(&["a\0b"]), Err(NulInArgument { index: 0 }));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn roundtrips_arbitrary_bytes(args in proptest::collection::vec(
            proptest::collection::vec(1u8..=255, 0..24), 1..6))
        {
            let argv: Vec<OsString> = args.iter().map(|a| OsString::from_vec(a.clone())).collect();
            prop_assert_eq!(through_sh(&argv), args);
        }
    }
}
