use super::pattern::MATCH_CALLS;
use super::*;
use strata_core::runner::FakeRunner;

fn env() -> Env {
    Env {
        local_user: "me".into(),
        uid: 1000,
        home: "/home/me".into(),
        passwd_home: "/home/me".into(),
        hostname: "box.lan".into(),
        shell: "/bin/sh".into(),
    }
}

fn resolve(text: &str, alias: &str) -> Resolved {
    let e = env();
    let c = Config::from_text("cfg", text, &e).unwrap();
    c.resolve(alias, &e, &FakeRunner::new()).unwrap()
}

#[test]
fn first_value_wins_and_identity_accumulates() {
    let r = resolve(
        "Host web\n  HostName=10.0.0.1\n  user deploy\n  IdentityFile ~/a\nHost *\n  HostName nope\n  User x\n  Port 2222\n  IdentityFile ~/b\n  IdentityFile ~/a\n",
        "web",
    );
    assert_eq!(r.hostname, "10.0.0.1");
    assert_eq!(r.user, "deploy");
    assert_eq!(r.port, 2222);
    assert_eq!(r.identityfile, ["~/a", "~/b"]);
}

#[test]
fn negation_and_several_patterns() {
    let t = "Host *.lan !bad.lan other\n  User lan\n";
    assert_eq!(resolve(t, "a.lan").user, "lan");
    assert_eq!(resolve(t, "bad.lan").user, "me");
    assert_eq!(resolve(t, "other").user, "lan");
}

#[test]
fn quoting_and_comments() {
    assert_eq!(argv_split(r#"a "b c" 'd' e\ f # g"#).unwrap(), ["a", "b c", "d", "e f"]);
    assert!(argv_split("\"open").is_err());
    let r = resolve("Host q\r\n  HostName \"h.example\" # c\r\n", "q");
    assert_eq!(r.hostname, "h.example");
}

#[test]
fn hostname_token_and_lowercase() {
    assert_eq!(resolve("Host Web\n HostName %h.EXAMPLE.com\n", "Web").hostname, "web.example.com");
}

#[test]
fn jump_display() {
    assert_eq!(resolve("Host j\n ProxyJump a@b:2222,c@d:33\n", "j").proxyjump.as_deref(), Some("a@b:2222,c@d:33"));
    assert_eq!(resolve("Host j\n ProxyJump ssh://u@h:23\n", "j").proxyjump.as_deref(), Some("u@h:23"));
    assert_eq!(resolve("Host j\n ProxyCommand none\n ProxyJump b\n", "j").proxyjump, None);
    assert_eq!(resolve("Host j\n ProxyJump none\n Host *\n ProxyJump b\n", "j").proxyjump, None);
}

#[test]
fn unknown_keyword_names_file_and_line() {
    let e = env();
    let err = Config::from_text("cfg", "Host a\n  Bogus 1\n", &e).unwrap_err().to_string();
    assert_eq!(err, "cfg line 2: Bad configuration option: bogus");
    assert!(Config::from_text("cfg", "IgnoreUnknown bog*\nHost a\n  Bogus 1\n", &e).is_ok());
}

#[test]
fn match_exec_runs_through_the_shell() {
    let e = env();
    let c = Config::from_text("cfg", "Match exec \"test %h = x\"\n  User ex\n", &e).unwrap();
    let fake = FakeRunner::new().expect(&["/bin/sh", "-c", "test x = x"], strata_core::runner::Output::ok(""));
    assert_eq!(c.resolve("x", &e, &fake).unwrap().user, "ex");
}

/// The %-tokens of a Match exec command take the values set so far, as ssh expands them.
#[test]
fn match_exec_expands_its_tokens_from_the_values_set_so_far() {
    let e = env();
    let text = "Host a\n  User bob\n  Port 2200\n  HostKeyAlias ka\nMatch exec \"t %n %h %p %r %k %u %i %d %L %l %%\"\n  ForwardAgent yes\n";
    let c = Config::from_text("cfg", text, &e).unwrap();
    let fake = FakeRunner::new().expect(
        &["/bin/sh", "-c", "t a a 2200 bob ka me 1000 /home/me box box.lan %"],
        strata_core::runner::Output::ok(""),
    );
    let r = c.resolve("a", &e, &fake).unwrap();
    assert!(r.applied.iter().any(|a| a.loc.line == 5 && a.header), "the Match exec line did not match");
    let bad = Config::from_text("cfg", "Match exec \"t %z\"\n", &e).unwrap();
    let err = bad.resolve("a", &e, &FakeRunner::new()).unwrap_err().to_string();
    assert_eq!(err, "cfg line 1: Match exec: unknown key %z");
}

#[test]
fn skip_exec_runs_nothing_and_the_match_line_does_not_match() {
    let e = env();
    let text = "Match exec true\n  User ex\nMatch !exec false\n  Port 2\nHost *\n  User other\n";
    let mut c = Config::from_text("cfg", text, &e).unwrap();
    c.skip_exec = true;
    // The fake runner knows no command: running one would be an error.
    let r = c.resolve("x", &e, &FakeRunner::new()).unwrap();
    assert_eq!((r.user.as_str(), r.port), ("other", 22));
}

#[test]
fn applied_lines_say_what_took_effect() {
    let r = resolve("Host web\n  User a\nHost *\n  User b\n  Port 2\nMatch final\n", "web");
    let got: Vec<(usize, bool, bool)> = r.applied.iter().map(|a| (a.loc.line, a.header, a.used)).collect();
    assert_eq!(
        got,
        [(1, true, true), (2, false, true), (3, true, true), (4, false, false), (5, false, true), (6, true, true)]
    );
}

#[test]
fn numeric_addresses_take_their_canonical_form() {
    assert_eq!(numeric_address("10.1").as_deref(), Some("10.0.0.1"));
    assert_eq!(numeric_address("::0001").as_deref(), Some("::1"));
    assert_eq!(numeric_address("web.example.com"), None);
    assert_eq!(resolve("Host a\n HostName 127.1\n", "a").hostname, "127.0.0.1");
    assert_eq!(resolve("Host a\n HostName FE80::1\n", "a").hostname, "FE80::1");
}

/// Every alias of one long Host line resolved: the work grows with the line, not its square
/// (ssh compares a host with each pattern; a set of the literal ones answers at once).
#[test]
fn one_long_host_line_is_linear() {
    let e = env();
    let n = 4000;
    let mut text = String::from("Host");
    for i in 0..n {
        text.push_str(&format!(" h{i}"));
    }
    text.push_str(" !h7 web*\n  User long\nHost *\n  Port 2\n");
    let c = Config::from_text("cfg", &text, &e).unwrap();
    assert_eq!(c.aliases.len(), n);
    MATCH_CALLS.with(|m| m.set(0));
    for a in &c.aliases {
        let r = c.resolve(&a.name, &e, &FakeRunner::new()).unwrap();
        assert_eq!(r.user, if a.name == "h7" { "me" } else { "long" }, "{}", a.name);
        assert_eq!(r.port, 2);
    }
    let calls = MATCH_CALLS.with(|m| m.get());
    // A few comparisons per alias (the wildcard, the negation, `Host *`), never one per pattern.
    assert!(calls <= 8 * n, "{calls} pattern comparisons for {n} aliases");
}

#[test]
fn tags_from_comments() {
    let e = env();
    let c =
        Config::from_text("cfg", "# tags: prod db\nHost a b # tags: x\n  # tags: y\n  User u\nHost c\n", &e).unwrap();
    let a: Vec<_> = c.aliases.iter().map(|a| (a.name.as_str(), a.tags.join(" "))).collect();
    assert_eq!(a, [("a", "prod db x y".into()), ("b", "prod db x y".into()), ("c", String::new())]);
}
