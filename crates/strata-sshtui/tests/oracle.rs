//! Every alias of the corpus resolved in process must equal what `ssh -G` prints for it.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use strata_core::runner::SystemRunner;
use strata_sshtui::config::{Config, Env, Source};
use strata_sshtui::raw;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[derive(Debug, PartialEq)]
struct Fields {
    hostname: String,
    user: String,
    port: String,
    proxyjump: Option<String>,
    identityfile: Vec<String>,
}

fn ssh_g(home: &Path, file: &Path, alias: &str) -> Fields {
    let out = Command::new("ssh")
        .args(["-G", "-F"])
        .arg(file)
        .arg("--")
        .arg(alias)
        .env("HOME", home)
        .output()
        .unwrap_or_else(|e| panic!("ssh (OpenSSH client) is needed as the oracle of this test: {e}"));
    assert!(out.status.success(), "ssh -G {alias} failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut f = Fields {
        hostname: String::new(),
        user: String::new(),
        port: String::new(),
        proxyjump: None,
        identityfile: vec![],
    };
    for line in text.lines() {
        let (k, v) = line.split_once(' ').unwrap_or((line, ""));
        match k {
            "hostname" => f.hostname = v.into(),
            "user" => f.user = v.into(),
            "port" => f.port = v.into(),
            "proxyjump" => f.proxyjump = Some(v.into()),
            "identityfile" => f.identityfile.push(v.into()),
            _ => {}
        }
    }
    f
}

#[test]
fn corpus_agrees_with_ssh_g() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let home = tempfile::tempdir().unwrap();
    let dot_ssh = home.path().join(".ssh");
    copy_tree(&corpus, &dot_ssh);
    let mut env = Env::current();
    env.home = home.path().to_path_buf();

    let mut configs: Vec<PathBuf> = std::fs::read_dir(&dot_ssh)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "config"))
        .collect();
    configs.sort();
    assert!(configs.len() >= 5, "corpus is missing");

    let (mut total, mut diffs) = (0, Vec::new());
    for file in &configs {
        let cfg = Config::load(&Source::File(file.clone()), &env).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(!cfg.aliases.is_empty(), "{} has no aliases", file.display());
        for a in &cfg.aliases {
            assert!(!a.name.contains(['*', '?']) && !a.name.starts_with('!'), "pattern listed as a host: {}", a.name);
            let r = cfg.resolve(&a.name, &env, &SystemRunner).unwrap_or_else(|e| panic!("{}: {e}", a.name));
            let ours = Fields {
                hostname: r.hostname,
                user: r.user,
                port: r.port.to_string(),
                proxyjump: r.proxyjump,
                identityfile: r.identityfile,
            };
            let theirs = ssh_g(home.path(), file, &a.name);
            total += 1;
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let mut diff = |field: &str, o: String, t: String| {
                if o != t {
                    diffs.push(format!("{name} {}: {field}: strata {o:?}, ssh -G {t:?}", a.name));
                }
            };
            diff("hostname", ours.hostname, theirs.hostname);
            diff("user", ours.user, theirs.user);
            diff("port", ours.port, theirs.port);
            diff("proxyjump", format!("{:?}", ours.proxyjump), format!("{:?}", theirs.proxyjump));
            diff("identityfile", ours.identityfile.join(" "), theirs.identityfile.join(" "));
        }
    }
    eprintln!("corpus: {} files, {total} aliases compared with ssh -G, {} differences", configs.len(), diffs.len());
    assert!(diffs.is_empty(), "{} differences with ssh -G:\n{}", diffs.len(), diffs.join("\n"));
}

/// Configurations ssh refuses are refused here too (and those it takes, taken), the error naming
/// the line when there is one.
#[test]
fn refuses_what_ssh_refuses() {
    let cases: &[(&str, bool)] = &[
        ("Host a\n  Bogus yes\n", false),
        ("Host a\n  Port notaport\n", false),
        ("Host a\n  Port 70000\n", false),
        ("Host a\n  HostName\n", false),
        ("Host a\n  HostName \"unterminated\n", false),
        ("Host a\n  User a b\n", false),
        ("Match bogus x\n", false),
        ("Match localnetwork 127.0.0.0/8\n  User ln\n", false),
        ("Match tagged x\n  User t\n", false),
        ("Match host\n", false),
        ("Match all host a\n", false),
        ("Host a\n  HostName %z.example\n", false),
        ("Host a\n  ProxyJump user@\n", false),
        ("Host a\n  ProxyJump ::1\n", false),
        ("Host a\n  ProxyJump h:0\n", false),
        ("Host a\n  ProxyJump a,,b\n", false),
        ("Host a\n  ProxyJump ssh://u@[::1]:23\n", false),
        ("Host a\n  ProxyJump h:\n", true),
        ("Host a\n  IdentityFile\n", false),
        ("IgnoreUnknown foo*\nHost a\n  FooBar yes\n", true),
        ("Host *\n  IgnoreUnknown UseKeychain,AddKeysToAgent\n  UseKeychain yes\n", true),
        ("Host *\n  UseKeychain yes\n", false),
        ("Host a\n  Include /nonexistent/*.conf\n", true),
        ("Host a\n  Port ssh\n", true),
        ("Host a\n  PORT=2222\n  hostname=\"x y\"\n", true),
        ("Host a\n  SendEnv LANG LC_*\n  SetEnv A=1 B=2\n  LocalForward 8080 localhost:80\n", true),
        ("Host=a\n  User=\"quoted user\"\n", true),
    ];
    let home = tempfile::tempdir().unwrap();
    let mut env = Env::current();
    env.home = home.path().to_path_buf();
    for (i, (text, ok)) in cases.iter().enumerate() {
        let file = home.path().join(format!("case{i}"));
        std::fs::write(&file, text).unwrap();
        let ssh = Command::new("ssh").args(["-G", "-F"]).arg(&file).arg("a").env("HOME", home.path()).output().unwrap();
        assert_eq!(ssh.status.success(), *ok, "ssh -G on case {i} {text:?}: {}", String::from_utf8_lossy(&ssh.stderr));
        let ours = Config::load(&Source::File(file.clone()), &env).and_then(|c| c.resolve("a", &env, &SystemRunner));
        match (&ours, ok) {
            (Ok(_), true) => {}
            (Err(e), false) => {
                let msg = e.to_string();
                assert!(msg.contains(&format!("case{i}")) || msg.contains("HostName of a"), "case {i}: {msg}");
            }
            _ => panic!("case {i} {text:?}: ssh -G success {ok}, strata {ours:?}"),
        }
    }
}

/// A small deterministic generator (xorshift), so that a failing case can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const ALIASES: &[&str] = &["a1", "a2", "b1", "web-1", "Web-2", "db.x", "zz"];
const PATTERNS: &[&str] =
    &["a1", "a2", "b1", "web-1", "Web-2", "db.x", "a*", "*1", "?2", "*", "web-?", "*.x", "*.EX", "*.ex"];

fn option_line(r: &mut Rng) -> String {
    let (k, v) = match r.below(8) {
        7 if r.below(4) == 0 => ("CanonicalizeHostname", "yes".to_string()),
        7 => ("HostName", "%h".to_string()),
        0 => (
            "HostName",
            r.pick(&["%h.ex", "fixed.EX", "h-%h", "10.0.0.1", "db.x", "10.1", "::0001", "CAFE::1"]).to_string(),
        ),
        1 => ("User", r.pick(&["u1", "u2", "deploy", "root"]).to_string()),
        2 => ("Port", format!("{}", 2200 + r.below(9))),
        3 => ("ProxyJump", r.pick(&["j1", "u@j2:2222", "none", "a@b,c@d:3"]).to_string()),
        4 => ("IdentityFile", r.pick(&["~/.ssh/k1", "~/.ssh/k2", "%d/k3"]).to_string()),
        5 => ("ProxyCommand", r.pick(&["none", "nc %h %p"]).to_string()),
        _ => ("ServerAliveInterval", "30".to_string()),
    };
    let k = if r.below(4) == 0 { k.to_ascii_lowercase() } else { k.to_string() };
    match r.below(4) {
        0 => format!("  {k}={v}"),
        1 => format!("\t{k} = {v}"),
        _ => format!("  {k} {v}"),
    }
}

fn header_line(r: &mut Rng) -> String {
    if r.below(3) > 0 {
        let n = 1 + r.below(3);
        let pats: Vec<String> = (0..n)
            .map(|_| {
                let p = r.pick(PATTERNS);
                if r.below(5) == 0 { format!("!{p}") } else { p.to_string() }
            })
            .collect();
        return format!("Host {}", pats.join(" "));
    }
    if r.below(8) == 0 {
        return "Match all".into();
    }
    let n = 1 + r.below(2);
    let crit: Vec<String> = (0..n)
        .map(|_| {
            let neg = if r.below(5) == 0 { "!" } else { "" };
            match r.below(7) {
                6 => format!(
                    "{neg}exec \"{}\"",
                    r.pick(&[
                        "test %h = a1",
                        "true",
                        "false",
                        "test %n = b1",
                        "test %r = deploy",
                        "test %p = 2202",
                        "test %C = 3ad8725e03cf6b66ff5991862bf87132edd59bcc",
                        "test -n %C%L%l%u%i%d%k"
                    ])
                ),
                0 => format!("{neg}host {}", r.pick(PATTERNS)),
                1 => format!("{neg}originalhost {}", r.pick(PATTERNS)),
                2 => format!("{neg}user {}", r.pick(&["u1", "deploy", "root", "*"])),
                3 => format!("{neg}localuser {}", r.pick(&["root", "nobody"])),
                4 => format!("{neg}final"),
                _ => format!("{neg}canonical"),
            }
        })
        .collect();
    format!("Match {}", crit.join(" "))
}

fn config_text(r: &mut Rng, include: Option<&str>) -> String {
    let mut lines = Vec::new();
    for _ in 0..r.below(2) {
        lines.push(option_line(r));
    }
    for _ in 0..2 + r.below(6) {
        lines.push(header_line(r));
        for _ in 0..1 + r.below(3) {
            lines.push(option_line(r));
        }
        if let Some(inc) = include
            && r.below(4) == 0
        {
            lines.push(format!("  Include {inc}"));
        }
    }
    // Every alias is named on some Host line, so each one is listed and compared.
    lines.push(format!("Host {}", ALIASES.join(" ")));
    lines.push(option_line(r));
    let sep = if r.below(5) == 0 { "\r\n" } else { "\n" };
    lines.join(sep) + sep
}

#[test]
fn generated_configs_agree_with_ssh_g() {
    let home = tempfile::tempdir().unwrap();
    let dot_ssh = home.path().join(".ssh");
    std::fs::create_dir_all(&dot_ssh).unwrap();
    let mut env = Env::current();
    env.home = home.path().to_path_buf();
    let (mut compared, mut diffs) = (0, Vec::new());
    for seed in 1..=200u64 {
        let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let inc2 = config_text(&mut r, None);
        std::fs::write(dot_ssh.join("inc2.conf"), &inc2).unwrap();
        let inc = config_text(&mut r, Some("inc2.conf"));
        std::fs::write(dot_ssh.join("inc.conf"), &inc).unwrap();
        let file = dot_ssh.join(format!("gen{seed}"));
        let text = config_text(&mut r, Some("inc.conf"));
        std::fs::write(&file, &text).unwrap();
        let cfg =
            Config::load(&Source::File(file.clone()), &env).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
        for a in &cfg.aliases {
            let ours =
                cfg.resolve(&a.name, &env, &SystemRunner).unwrap_or_else(|e| panic!("seed {seed} {}: {e}", a.name));
            let theirs = ssh_g(home.path(), &file, &a.name);
            compared += 1;
            let ours = Fields {
                hostname: ours.hostname,
                user: ours.user,
                port: ours.port.to_string(),
                proxyjump: ours.proxyjump,
                identityfile: ours.identityfile,
            };
            if ours != theirs {
                diffs.push(format!(
                    "seed {seed} alias {}:\n  strata {ours:?}\n  ssh -G {theirs:?}\n{text}-- inc.conf:\n{inc}-- inc2.conf:\n{inc2}",
                    a.name
                ));
            }
        }
    }
    eprintln!("generated: {compared} aliases compared with ssh -G, {} differences", diffs.len());
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn refuses_an_included_file_others_may_write_like_ssh() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let dot_ssh = home.path().join(".ssh");
    std::fs::create_dir_all(&dot_ssh).unwrap();
    let inc = dot_ssh.join("open.conf");
    std::fs::write(&inc, "User open\n").unwrap();
    std::fs::set_permissions(&inc, std::fs::Permissions::from_mode(0o666)).unwrap();
    let file = dot_ssh.join("cfg");
    std::fs::write(&file, "Host a\n  Include open.conf\n").unwrap();
    let mut env = Env::current();
    env.home = home.path().to_path_buf();
    let ssh = Command::new("ssh").args(["-G", "-F"]).arg(&file).arg("a").env("HOME", home.path()).output().unwrap();
    assert!(!ssh.status.success(), "ssh -G took a world-writable include");
    let err = Config::load(&Source::File(file), &env).unwrap_err().to_string();
    assert!(err.contains("Bad owner or permissions") && err.contains("open.conf"), "{err}");
    std::fs::set_permissions(&inc, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(Config::load(&Source::File(dot_ssh.join("cfg")), &env).is_ok());
}

/// An included directory is read as an empty file, by ssh and here; like a file, it is refused
/// when others may write it (ssh checks the owner and mode of whatever it opened).
#[test]
fn an_included_directory_is_empty_unless_others_may_write_it() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let dot_ssh = home.path().join(".ssh");
    std::fs::create_dir_all(dot_ssh.join("hosts.d")).unwrap();
    std::fs::set_permissions(dot_ssh.join("hosts.d"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dot_ssh.join("hosts.d/x.conf"), "Host a\n  User from-the-directory\n").unwrap();
    let file = dot_ssh.join("cfg");
    std::fs::write(&file, "Include hosts.d\nHost a\n  HostName a.example\n").unwrap();
    let mut env = Env::current();
    env.home = home.path().to_path_buf();
    let theirs = ssh_g(home.path(), &file, "a");
    let cfg = Config::load(&Source::File(file.clone()), &env).unwrap();
    let ours = cfg.resolve("a", &env, &SystemRunner).unwrap();
    assert_eq!((ours.user.as_str(), ours.hostname.as_str()), (theirs.user.as_str(), theirs.hostname.as_str()));
    assert_ne!(ours.user, "from-the-directory");

    std::fs::set_permissions(dot_ssh.join("hosts.d"), std::fs::Permissions::from_mode(0o777)).unwrap();
    let ssh = Command::new("ssh").args(["-G", "-F"]).arg(&file).arg("a").env("HOME", home.path()).output().unwrap();
    assert!(!ssh.status.success(), "ssh -G took a world-writable included directory");
    let err = Config::load(&Source::File(file), &env).unwrap_err().to_string();
    assert!(err.contains("Bad owner or permissions") && err.contains("hosts.d"), "{err}");
}

/// Without -F both read ~/.ssh/config (from the password database's home) and /etc/ssh/ssh_config
/// with its Includes: whatever this machine has, the answers agree.
#[test]
fn default_files_agree_with_ssh_g() {
    let env = Env::current();
    let cfg = Config::load(&Source::Default, &env).expect("the default configuration loads");
    let mut names: Vec<String> = cfg.aliases.iter().take(20).map(|a| a.name.clone()).collect();
    names.extend(["example.org", "localhost", "Mixed.Case"].map(String::from));
    for name in &names {
        let r = cfg.resolve(name, &env, &SystemRunner).unwrap();
        let out = Command::new("ssh").args(["-G", "--", name]).env("HOME", &env.home).output().unwrap();
        assert!(out.status.success(), "ssh -G {name}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let get = |k: &str| -> Vec<String> {
            text.lines().filter_map(|l| l.strip_prefix(k).and_then(|v| v.strip_prefix(' '))).map(String::from).collect()
        };
        assert_eq!(get("hostname"), std::slice::from_ref(&r.hostname), "{name}: hostname");
        assert_eq!(get("user"), std::slice::from_ref(&r.user), "{name}: user");
        assert_eq!(get("port"), [r.port.to_string()], "{name}: port");
        assert_eq!(get("proxyjump"), r.proxyjump.iter().cloned().collect::<Vec<_>>(), "{name}: proxyjump");
        assert_eq!(get("identityfile"), r.identityfile, "{name}: identityfile");
    }
}

/// Bytes that are not UTF-8 are what ssh compares, expands and runs: `?` is one byte, %h and %n
/// are the exact bytes, in HostName and in Match exec.
#[test]
fn bytes_that_are_not_utf8_agree_with_ssh_g() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("latin1");
    let mut text = b"Host ca??\n  HostName %h.Example\n".to_vec();
    text.extend_from_slice(b"Match exec \"test $(printf %%s %n | wc -c) -eq 4\"\n  User four-bytes\n");
    text.extend_from_slice(b"Host caf\xe9 h\xff\xfe\n  Port 2222\n");
    std::fs::write(&file, &text).unwrap();
    let mut env = Env::current();
    env.home = home.path().to_path_buf();
    let cfg = Config::load(&Source::File(file.clone()), &env).unwrap();
    let names: Vec<Vec<u8>> = cfg.aliases.iter().map(|a| raw::to_bytes(&a.name).into_owned()).collect();
    assert_eq!(names, [b"caf\xe9".to_vec(), b"h\xff\xfe".to_vec()]);
    for (a, bytes) in cfg.aliases.iter().zip(&names) {
        let r = cfg.resolve(&a.name, &env, &SystemRunner).unwrap();
        let out = Command::new("ssh")
            .args(["-G", "-F"])
            .arg(&file)
            .arg("--")
            .arg(std::ffi::OsStr::from_bytes(bytes))
            .env("HOME", home.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "ssh -G: {}", String::from_utf8_lossy(&out.stderr));
        let get = |key: &[u8]| -> Vec<u8> {
            out.stdout
                .split(|&b| b == b'\n')
                .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(b" ")))
                .unwrap_or_default()
                .to_vec()
        };
        assert_eq!(raw::to_bytes(&r.hostname).as_ref(), get(b"hostname"), "{bytes:x?}: hostname");
        assert_eq!(raw::to_bytes(&r.user).as_ref(), get(b"user"), "{bytes:x?}: user");
        assert_eq!(r.port.to_string().as_bytes(), get(b"port"), "{bytes:x?}: port");
        if bytes == b"caf\xe9" {
            assert_eq!((get(b"hostname"), get(b"user")), (b"caf\xe9.example".to_vec(), b"four-bytes".to_vec()));
        }
    }
}
