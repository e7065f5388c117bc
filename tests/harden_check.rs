//! Host tests of strata-harden-check. The oracle is the real `systemd-analyze security` of
//! systemd 252 (`--offline=true --root=DIR`), run on the same unit files.

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use serde_json::Value;

use crate::util;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/strata-harden-check/testdata").join(name)
}

/// What systemd-analyze says about one unit: its checks (JSON with weight, badness, range) and
/// the overall exposure line, or `None` when it refuses the unit.
fn oracle(root: &Path, unit: &str) -> Option<(Vec<Value>, String)> {
    oracle_with(root, unit, &[])
}

fn oracle_with(root: &Path, unit: &str, extra: &[String]) -> Option<(Vec<Value>, String)> {
    let root_arg = format!("--root={}", root.display());
    let json = Std::new("systemd-analyze")
        .args(["security", "--json=short", "--offline=true", &root_arg])
        .args(extra)
        .arg(unit)
        .env("SYSTEMD_ANALYZE_DEBUG", "1")
        .output()
        .unwrap_or_else(|e| panic!("systemd-analyze is the oracle of these tests and must be installed: {e}"));
    if !json.status.success() || json.stdout.is_empty() {
        return None;
    }
    let checks: Vec<Value> = serde_json::from_slice(&json.stdout).expect("systemd-analyze JSON");
    let table = Std::new("systemd-analyze")
        .args(["security", "--offline=true", &root_arg])
        .args(extra)
        .arg(unit)
        .output()
        .expect("systemd-analyze");
    let text = String::from_utf8_lossy(&table.stdout);
    let line = text.lines().find(|l| l.contains("Overall exposure level")).expect("overall line");
    let total = line.rsplit_once(": ").expect("exposure").1.split_whitespace().next().expect("number").to_string();
    Some((checks, total))
}

/// Runs strata-harden-check on `units` (or --all) and compares every record with the oracle.
/// Returns (units compared, checks compared) and panics listing every disagreement.
fn compare(root: &Path, units: &[&str]) -> (usize, usize) {
    compare_with(root, units, &[])
}

fn compare_with(root: &Path, units: &[&str], extra: &[String]) -> (usize, usize) {
    let mut cmd = util::bin("strata-harden-check");
    cmd.arg("--root").arg(root).arg("--json").args(extra);
    if units.is_empty() {
        cmd.arg("--all");
    } else {
        cmd.args(units);
    }
    let out = cmd.output().expect("run");
    let records = util::ndjson(&out.stdout);
    assert!(!records.is_empty(), "no records: {}", String::from_utf8_lossy(&out.stderr));
    let mut problems: Vec<String> = Vec::new();
    let mut n_checks = 0;
    for rec in &records {
        let unit = rec["unit"].as_str().expect("unit");
        match (rec["type"].as_str(), oracle_with(root, unit, extra)) {
            (Some("error"), None) => {}
            (Some("error"), Some(_)) => {
                problems.push(format!("{unit}: we refuse it ({}), systemd-analyze assesses it", rec["error"]))
            }
            (Some("unit"), None) => problems.push(format!("{unit}: systemd-analyze refuses it, we assess it")),
            (Some("unit"), Some((checks, total))) => {
                let mine = rec["checks"].as_array().expect("checks");
                let mine_exposure = format!("{:.1}", rec["exposure"].as_f64().expect("exposure"));
                if mine_exposure != total {
                    problems.push(format!("{unit}: exposure {mine_exposure}, systemd-analyze {total}"));
                }
                let names =
                    |v: &[Value]| v.iter().map(|c| c["name"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>();
                if names(mine) != names(&checks) {
                    problems.push(format!("{unit}: check order differs"));
                }
                for r in &checks {
                    n_checks += 1;
                    let name = r["name"].as_str().unwrap_or("");
                    let Some(m) = mine.iter().find(|c| c["name"] == r["name"]) else {
                        problems.push(format!("{unit}: check {name} missing"));
                        continue;
                    };
                    let badness =
                        if r["badness"].as_u64() == Some(u64::MAX) { Value::Null } else { r["badness"].clone() };
                    let exposure = match m["exposure"].as_f64() {
                        Some(e) => Value::String(format!("{e:.1}")),
                        None => Value::Null,
                    };
                    for (field, ours, theirs) in [
                        ("json_field", m["json_field"].clone(), r["json_field"].clone()),
                        ("set", m["set"].clone(), r["set"].clone()),
                        ("badness", m["badness"].clone(), badness),
                        ("weight", m["weight"].clone(), r["weight"].clone()),
                        ("range", m["range"].clone(), r["range"].clone()),
                        ("exposure", exposure, r["exposure"].clone()),
                        ("description", m["description"].clone(), r["description"].clone()),
                    ] {
                        if ours != theirs {
                            problems.push(format!("{unit}: {name} {field}: ours {ours}, systemd-analyze {theirs}"));
                        }
                    }
                }
            }
            (t, _) => problems.push(format!("{unit}: unexpected record type {t:?}")),
        }
    }
    assert!(problems.is_empty(), "{} disagreements with systemd-analyze:\n{}", problems.len(), problems.join("\n"));
    (records.len(), n_checks)
}

/// Every service name in the corpus's unit directories: units, aliases, masked names, templates.
fn service_names(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = ["lib/systemd/system", "usr/lib/systemd/system", "etc/systemd/system"]
        .iter()
        .filter_map(|d| std::fs::read_dir(root.join(d)).ok())
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".service"))
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn corpus_agrees_with_systemd_analyze_check_by_check() {
    let root = testdata("corpus");
    let names = service_names(&root);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (units, checks) = compare(&root, &names);
    assert!(units >= 370, "the corpus has {units} service names");
    eprintln!("corpus: {units} service names (units, templates, aliases, masked), {checks} checks agree");
}

#[test]
fn all_skips_templates_aliases_and_masked_units() {
    let out =
        util::bin("strata-harden-check").args(["--json", "--all", "--root"]).arg(testdata("corpus")).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let recs = util::ndjson(&out.stdout);
    let units: Vec<&str> = recs.iter().map(|r| r["unit"].as_str().unwrap()).collect();
    assert!(units.len() >= 290, "{}", units.len());
    assert!(recs.iter().all(|r| r["type"] == "unit"));
    assert!(units.contains(&"mariadb.service") && !units.contains(&"mysql.service"));
    assert!(!units.contains(&"mdadm.service"), "masked");
    assert!(!units.iter().any(|u| u.contains('@') && u.ends_with("@.service")));
}

#[test]
fn hardened_seed_services_agree() {
    let (units, _) = compare(&testdata("corpus"), &["redis-server", "mariadb", "php8.2-fpm", "apache2"]);
    assert_eq!(units, 4);
}

#[test]
fn edge_cases_agree_with_systemd_analyze() {
    let root = testdata("edge");
    let names = service_names(&root);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (units, _) = compare(&root, &names);
    assert!(units >= 110, "{units}");
    compare(
        &root,
        &[
            "tmpl@db.service",
            "tmpl@.service",
            "tmpl@x-y.service",
            "alias.service",
            "esc@a\\x2db.service",
            "esc@.service",
            "edge-web-front",
        ],
    );
}

#[test]
fn profile_applies_as_systemd_analyze_applies_it() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("strict.conf");
    std::fs::write(
        &profile,
        "[Service]\nPrivateTmp=yes\nNoNewPrivileges=yes\nProtectSystem=strict\nPrivateNetwork=yes\n",
    )
    .unwrap();
    let extra = [format!("--profile={}", profile.display())];
    let (units, _) = compare_with(&testdata("edge"), &[], &extra);
    assert!(units > 40);
    compare_with(&testdata("corpus"), &["redis-server", "mariadb", "php8.2-fpm", "apache2", "cron"], &extra);
}

#[test]
fn drop_ins_apply_in_systemd_order() {
    let out = util::bin("strata-harden-check")
        .args(["--json", "--root"])
        .arg(testdata("edge"))
        .args(["alias", "edge-web-front", "tmpl@db.service"])
        .output()
        .unwrap();
    let recs = util::ndjson(&out.stdout);
    let dropins = |i: usize| {
        recs[i]["dropins"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(
        dropins(0),
        [
            "/usr/lib/systemd/system/service.d/10-all.conf",
            "/etc/systemd/system/real.service.d/50-same.conf",
            "/etc/systemd/system/alias.service.d/x.conf"
        ]
    );
    assert_eq!(recs[0]["fragment"], "/usr/lib/systemd/system/real.service");
    assert_eq!(
        dropins(1),
        [
            "/usr/lib/systemd/system/service.d/10-all.conf",
            "/etc/systemd/system/edge-.service.d/20-edge.conf",
            "/usr/lib/systemd/system/edge-web-.service.d/20-web.conf",
            "/etc/systemd/system/edge-web-front.service.d/30-front.conf"
        ]
    );
    assert_eq!(
        dropins(2),
        [
            "/usr/lib/systemd/system/service.d/10-all.conf",
            "/usr/lib/systemd/system/tmpl@.service.d/a.conf",
            "/etc/systemd/system/tmpl@db.service.d/b.conf"
        ]
    );
}

#[test]
fn bad_files_give_error_records_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let sys = dir.path().join("etc/systemd/system");
    std::fs::create_dir_all(&sys).unwrap();
    let mut huge = b"[Service]\nExecStart=/bin/true\nDescription=".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 1024 * 1024 + 10));
    std::fs::write(sys.join("huge.service"), &huge).unwrap();
    std::fs::write(sys.join("junk.service"), b"\x7fELF\x02\x01\x01\0\0\xff\xfe\x80garbage\n[[[\n").unwrap();
    std::fs::write(sys.join("header.service"), "[Service\nExecStart=/bin/true\n").unwrap();
    std::fs::write(sys.join("good.service"), "[Service]\nExecStart=/bin/true\n[Bogus]\nX=1\n").unwrap();
    let out = util::bin("strata-harden-check")
        .arg("--json")
        .arg("--root")
        .arg(dir.path())
        .args(["huge", "junk", "header", "good", "missing"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let recs = util::ndjson(&out.stdout);
    let by = |u: &str| recs.iter().find(|r| r["unit"] == u).unwrap_or_else(|| panic!("no record for {u}")).clone();
    assert_eq!(by("huge.service")["type"], "error");
    assert_eq!(by("huge.service")["line"], 3);
    assert!(by("huge.service")["error"].as_str().unwrap().contains("longer than"));
    assert_eq!(by("junk.service")["type"], "error");
    assert_eq!(
        by("header.service")["error"],
        "/etc/systemd/system/header.service: line 1: invalid section header \"[Service\""
    );
    assert_eq!(by("good.service")["type"], "unit");
    assert_eq!(
        by("good.service")["warnings"][0],
        "/etc/systemd/system/good.service: line 3: unknown section 'Bogus', ignoring"
    );
    assert_eq!(by("missing.service")["error"], "unit missing.service not found");
    // systemd-analyze refuses the same ones.
    for u in ["huge.service", "junk.service", "header.service", "missing.service"] {
        assert!(oracle(dir.path(), u).is_none(), "systemd-analyze accepts {u}");
    }
    assert!(oracle(dir.path(), "good.service").is_some());
}

#[test]
fn threshold_sets_the_exit_code() {
    let root = testdata("corpus");
    let run = |t: &str| {
        util::bin("strata-harden-check")
            .arg("--json")
            .arg("--root")
            .arg(&root)
            .args(["--threshold", t, "redis-server"])
            .output()
            .unwrap()
    };
    let exposure = util::ndjson(&run("10").stdout)[0]["exposure"].as_f64().unwrap();
    assert_eq!(run(&format!("{exposure}")).status.code(), Some(0));
    assert_eq!(run(&format!("{:.1}", exposure - 0.1)).status.code(), Some(1));
    let bad = util::bin("strata-harden-check").args(["--threshold", "11", "x"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn table_view_looks_like_systemd_analyze() {
    let out = util::bin("strata-harden-check")
        .args(["--format", "table", "--root"])
        .arg(testdata("corpus"))
        .arg("redis-server")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("✓ PrivateTmp="), "{text}");
    assert!(text.contains("✗ "), "{text}");
    let (_, total) = oracle(&testdata("corpus"), "redis-server.service").unwrap();
    let last = text.lines().last().unwrap();
    assert!(last.starts_with(&format!("→ Overall exposure level for redis-server.service: {total} ")), "{last}");
}

#[test]
fn suggested_dropins_predict_what_systemd_analyze_measures() {
    // Every unit of the corpus gets its drop-in installed, then systemd-analyze measures each.
    let dir = tempfile::tempdir().unwrap();
    let status =
        Std::new("cp").arg("-a").arg(format!("{}/.", testdata("corpus").display())).arg(dir.path()).status().unwrap();
    assert!(status.success());
    let out = util::bin("strata-harden-check")
        .args(["--json", "--suggest", "--write", "--all", "--root"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let recs = util::ndjson(&out.stdout);
    assert!(recs.len() >= 290, "{}", recs.len());
    let mut problems = Vec::new();
    for rec in &recs {
        assert_eq!(rec["type"], "suggestion");
        let name = rec["unit"].as_str().unwrap();
        let path = dir.path().join(rec["path"].as_str().unwrap().trim_start_matches('/'));
        // A drop-in that adds no directive is shown but not installed.
        let adds = rec["dropin"].as_str().unwrap().lines().any(|l| !l.starts_with('#') && l != "[Service]");
        assert_eq!(rec["written"], adds, "{name}");
        if !adds {
            assert!(!path.exists(), "{name}: an empty drop-in was written");
            assert_eq!(rec["predicted_exposure"], rec["exposure"], "{name}");
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("[Service]\n# "), "{text}");
        let predicted = format!("{:.1}", rec["predicted_exposure"].as_f64().unwrap());
        match oracle(dir.path(), name) {
            None => problems.push(format!("{name}: systemd-analyze refuses it with the drop-in")),
            Some((_, measured)) if measured != predicted => {
                problems.push(format!("{name}: predicted {predicted}, systemd-analyze measures {measured}"))
            }
            Some(_) => {}
        }
        if rec["predicted_exposure"].as_f64() > rec["exposure"].as_f64() {
            problems.push(format!("{name}: the drop-in raises the exposure"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn this_machine_agrees_with_systemd_analyze() {
    // The live unit directories of the machine the tests run on, under --root /.
    let (units, _) = compare(Path::new("/"), &[]);
    assert!(units > 0);
}

#[test]
fn dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sys = dir.path().join("lib/systemd/system");
    std::fs::create_dir_all(&sys).unwrap();
    std::fs::write(sys.join("a.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
    let out = util::bin("strata-harden-check")
        .args(["--json", "--suggest", "--write", "--dry-run", "--root"])
        .arg(dir.path())
        .arg("a")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(util::ndjson(&out.stdout)[0]["written"], false);
    assert!(!dir.path().join("etc").exists());
    let out = util::bin("strata-harden-check")
        .args(["--suggest", "--write", "--format", "plain", "--root"])
        .arg(dir.path())
        .arg("a")
        .output()
        .unwrap();
    assert!(out.status.success());
    let d = dir.path().join("etc/systemd/system/a.service.d");
    let files: Vec<String> =
        std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(files, ["50-strata-harden.conf"]);
    assert_eq!(
        std::fs::read_to_string(d.join("50-strata-harden.conf")).unwrap(),
        String::from_utf8(out.stdout).unwrap().split_once('\n').unwrap().1
    );
}

/// Runs `--suggest --write` with records on `units` under `root`: the suggestion records.
fn write_suggestions(root: &Path, units: &[&str]) -> Vec<Value> {
    let out = util::bin("strata-harden-check")
        .args(["--json", "--suggest", "--write", "--root"])
        .arg(root)
        .args(units)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    util::ndjson(&out.stdout)
}

#[test]
fn suggest_write_twice_changes_nothing_the_second_time() {
    // acpid scored 3.1 OK after a first --write, then 7.2 MEDIUM after a second one (it was
    // suggested from the unit with the first drop-in in place, so less), then 3.1 again.
    let dir = tempfile::tempdir().unwrap();
    let sys = dir.path().join("lib/systemd/system");
    std::fs::create_dir_all(&sys).unwrap();
    for unit in ["acpid.service", "redis-server.service", "cron.service"] {
        std::fs::copy(testdata("corpus/lib/systemd/system").join(unit), sys.join(unit)).unwrap();
    }
    let units = ["acpid", "redis-server", "cron"];
    let first = write_suggestions(dir.path(), &units);
    let after_first = tree(dir.path());
    let second = write_suggestions(dir.path(), &units);
    assert_eq!(tree(dir.path()), after_first, "the second --write changed the drop-ins");
    for (one, two) in first.iter().zip(&second) {
        let unit = one["unit"].as_str().unwrap();
        assert_eq!(one["dropin"], two["dropin"], "{unit}");
        assert_eq!(one["predicted_exposure"], two["predicted_exposure"], "{unit}");
        assert_eq!(two["exposure"], one["predicted_exposure"], "{unit}: the score after the first --write");
        let (_, measured) = oracle(dir.path(), unit).unwrap();
        assert_eq!(measured, format!("{:.1}", two["exposure"].as_f64().unwrap()), "{unit}");
    }
}

#[test]
fn suggest_write_installs_no_empty_dropin_and_never_raises_the_score() {
    let dir = tempfile::tempdir().unwrap();
    let sys = dir.path().join("lib/systemd/system");
    std::fs::create_dir_all(&sys).unwrap();
    // Nothing generic is safe for a container manager: nothing is suggested.
    std::fs::write(sys.join("containerd.service"), "[Service]\nExecStart=/usr/bin/containerd\n").unwrap();
    // A drop-in in place, edited to be stricter than what is suggested: it stays as it is.
    std::fs::write(sys.join("tight.service"), "[Service]\nExecStart=/usr/bin/tight\n").unwrap();
    let suggested = write_suggestions(dir.path(), &["tight"]);
    assert_eq!(suggested[0]["written"], true);
    let own = dir.path().join("etc/systemd/system/tight.service.d/50-strata-harden.conf");
    let stricter = format!("{}DynamicUser=yes\nPrivateNetwork=yes\n", std::fs::read_to_string(&own).unwrap());
    std::fs::write(&own, stricter).unwrap();
    let before = tree(dir.path());
    let recs = write_suggestions(dir.path(), &["containerd", "tight"]);
    assert_eq!(tree(dir.path()), before);
    for rec in &recs {
        assert_eq!(rec["written"], false, "{rec}");
        assert_eq!(rec["predicted_exposure"], rec["exposure"], "{rec}");
    }
}

/// Every entry under `dir` (not following symbolic links): path, and the file's bytes or the
/// link's target.
fn tree(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let md = std::fs::symlink_metadata(&p).unwrap();
            let shown = p.strip_prefix(dir).unwrap().display().to_string();
            if md.file_type().is_symlink() {
                out.push((shown, format!("-> {}", std::fs::read_link(&p).unwrap().display())));
            } else if md.is_dir() {
                out.push((shown, "dir".into()));
                todo.push(p);
            } else {
                out.push((shown, String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()));
            }
        }
    }
    out.sort();
    out
}

/// An image with one unit, and a directory outside it holding a file that must not change.
fn image_and_outside() -> (tempfile::TempDir, tempfile::TempDir) {
    let image = tempfile::tempdir().unwrap();
    let sys = image.path().join("lib/systemd/system");
    std::fs::create_dir_all(&sys).unwrap();
    std::fs::write(sys.join("a.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("victim"), "host file\n").unwrap();
    (image, outside)
}

#[test]
fn suggest_write_never_leaves_the_root() {
    type Plant = fn(&Path, &Path);
    let cases: &[(&str, Plant)] = &[
        ("etc is an absolute link out of the image", |image, outside| {
            std::os::unix::fs::symlink(outside, image.join("etc")).unwrap();
        }),
        ("UNIT.d is an absolute link out of the image", |image, outside| {
            let sys = image.join("etc/systemd/system");
            std::fs::create_dir_all(&sys).unwrap();
            std::os::unix::fs::symlink(outside.join("anywhere"), sys.join("a.service.d")).unwrap();
        }),
        ("UNIT.d is a chain of ../ out of the image", |image, outside| {
            let sys = image.join("etc/systemd/system");
            std::fs::create_dir_all(&sys).unwrap();
            let up = "../".repeat(40) + outside.strip_prefix("/").unwrap().to_str().unwrap();
            std::os::unix::fs::symlink(up, sys.join("a.service.d")).unwrap();
        }),
        ("systemd is a chain of ../ out of the image", |image, outside| {
            std::fs::create_dir_all(image.join("etc")).unwrap();
            let up = "../".repeat(40) + outside.strip_prefix("/").unwrap().to_str().unwrap();
            std::os::unix::fs::symlink(up, image.join("etc/systemd")).unwrap();
        }),
        ("the old temporary name is a link to a host file", |image, outside| {
            let d = image.join("etc/systemd/system/a.service.d");
            std::fs::create_dir_all(&d).unwrap();
            std::os::unix::fs::symlink(outside.join("victim"), d.join(".50-strata-harden.conf.tmp")).unwrap();
        }),
        ("the drop-in's own name is a link to a host file", |image, outside| {
            let d = image.join("etc/systemd/system/a.service.d");
            std::fs::create_dir_all(&d).unwrap();
            std::os::unix::fs::symlink(outside.join("victim"), d.join("50-strata-harden.conf")).unwrap();
        }),
    ];
    for (what, plant) in cases {
        let (image, outside) = image_and_outside();
        plant(image.path(), outside.path());
        let before = tree(outside.path());
        let out = util::bin("strata-harden-check")
            .args(["--json", "--suggest", "--write", "--root"])
            .arg(image.path())
            .arg("a")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(tree(outside.path()), before, "{what}: the write left the image ({stderr})");
        assert!(out.status.success(), "{what}: {stderr}");
        let rec = &util::ndjson(&out.stdout)[0];
        assert_eq!(rec["written"], true, "{what}");
        // The drop-in landed where systemd, reading the image, finds it: inside the image.
        let back =
            util::bin("strata-harden-check").args(["--json", "--root"]).arg(image.path()).arg("a").output().unwrap();
        let back = &util::ndjson(&back.stdout)[0];
        assert_eq!(back["dropins"].as_array().map(Vec::len), Some(1), "{what}: {back}");
        assert_eq!(back["exposure"], rec["predicted_exposure"], "{what}");
        let found = tree(image.path());
        assert_eq!(found.iter().filter(|(p, _)| p.ends_with("/50-strata-harden.conf")).count(), 1, "{what}: {found:?}");
        assert!(
            !found.iter().any(|(p, _)| p.contains(".50-strata-harden.conf.") && !p.ends_with(".conf.tmp")),
            "{what}: a temporary file is left: {found:?}"
        );
    }
}

#[test]
fn suggest_write_refuses_a_directory_it_cannot_resolve_inside_the_root() {
    type Plant = fn(&Path);
    let cases: &[(&str, Plant)] = &[
        ("a.service.d", |image| {
            // A loop (as `etc -> /etc` is inside an image, whose /etc it is).
            std::os::unix::fs::symlink("etc", image.join("etc")).unwrap();
        }),
        ("a.service.d", |image| {
            let sys = image.join("etc/systemd/system");
            std::fs::create_dir_all(&sys).unwrap();
            std::os::unix::fs::symlink("a.service.d", sys.join("a.service.d")).unwrap();
        }),
        ("a.service.d", |image| {
            let sys = image.join("etc/systemd/system");
            std::fs::create_dir_all(&sys).unwrap();
            std::os::unix::fs::symlink("/dev/null", sys.join("a.service.d")).unwrap();
        }),
    ];
    for (named, plant) in cases {
        let (image, outside) = image_and_outside();
        plant(image.path());
        let before = tree(image.path());
        let out = util::bin("strata-harden-check")
            .args(["--suggest", "--write", "--format", "plain", "--root"])
            .arg(image.path())
            .arg("a")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(named) && stderr.contains("50-strata-harden.conf"), "{stderr}");
        assert_eq!(tree(image.path()), before, "{stderr}");
        assert_eq!(tree(outside.path()), [("victim".to_string(), "host file\n".to_string())]);
    }
}

#[test]
fn a_looping_unit_directory_is_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let sys = dir.path().join("lib/systemd/system");
    std::fs::create_dir_all(&sys).unwrap();
    std::fs::write(sys.join("a.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
    std::fs::create_dir_all(dir.path().join("etc/systemd")).unwrap();
    std::os::unix::fs::symlink("/etc/systemd/system", dir.path().join("etc/systemd/system")).unwrap();
    let out = util::bin("strata-harden-check").arg("--json").arg("--root").arg(dir.path()).arg("a").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("warning: skipping /etc/systemd/system: "), "{stderr}");
    let rec = &util::ndjson(&out.stdout)[0];
    assert_eq!(rec["type"], "unit");
    let (_, total) = oracle(dir.path(), "a.service").expect("systemd-analyze assesses it too");
    assert_eq!(format!("{:.1}", rec["exposure"].as_f64().unwrap()), total);
}

#[test]
fn a_unit_linked_outside_the_root_is_read_and_said_so_and_never_echoed() {
    let image = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let sys = image.path().join("etc/systemd/system");
    std::fs::create_dir_all(&sys).unwrap();
    std::fs::write(sys.join("inside.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
    std::fs::write(
        outside.path().join("linked.service"),
        "SECRET-1\n[Service]\nExecStart=/bin/true\nPrivateTmp=SECRET-2\nRestrictAddressFamilies=SECRET-3\nSECRET-4\n[SECRET-5]\n",
    )
    .unwrap();
    std::fs::write(outside.path().join("bad.service"), "[SECRET-6\n").unwrap();
    std::fs::write(outside.path().join("fatal.service"), "[Service]\nExecStart=/bin/true\nUser=SECRET/7\n").unwrap();
    for name in ["linked.service", "bad.service", "fatal.service"] {
        std::os::unix::fs::symlink(outside.path().join(name), sys.join(name)).unwrap();
    }
    let out = util::bin("strata-harden-check")
        .arg("--json")
        .arg("--root")
        .arg(image.path())
        .args(["inside", "linked", "bad", "fatal"])
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains("SECRET") && !stderr.contains("SECRET"), "{stdout}{stderr}");
    let recs = util::ndjson(&out.stdout);
    let by = |u: &str| recs.iter().find(|r| r["unit"] == u).unwrap_or_else(|| panic!("no record for {u}")).clone();
    assert_eq!(by("inside.service")["linked_outside_root"], false);
    let linked = by("linked.service");
    assert_eq!(linked["linked_outside_root"], true, "{linked}");
    assert_eq!(linked["fragment"], "/etc/systemd/system/linked.service");
    // The warnings still say where.
    let warnings: Vec<&str> = linked["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(warnings.iter().any(|w| w.starts_with("/etc/systemd/system/linked.service: line 1: ")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.starts_with("/etc/systemd/system/linked.service:4: ")), "{warnings:?}");
    assert_eq!(warnings.len(), 5, "{warnings:?}");
    // Read from the host as systemd reads it.
    let (_, total) = oracle(image.path(), "linked.service").expect("systemd-analyze assesses it");
    assert_eq!(format!("{:.1}", linked["exposure"].as_f64().unwrap()), total);
    assert_eq!(
        by("bad.service")["error"],
        "/etc/systemd/system/bad.service: line 1: invalid section header (text not shown: the file is outside --root)"
    );
    assert_eq!(by("bad.service")["line"], 1);
    let fatal = by("fatal.service")["error"].as_str().unwrap().to_string();
    assert!(fatal.starts_with("fatal setting: /etc/systemd/system/fatal.service:3: "), "{fatal}");
    assert!(oracle(image.path(), "fatal.service").is_none());
}

#[test]
fn a_unit_file_over_the_size_limit_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let sys = dir.path().join("etc/systemd/system");
    std::fs::create_dir_all(&sys).unwrap();
    // 100 MB of NUL bytes (a sparse file: nothing is written to disk).
    let f = std::fs::File::create(sys.join("nul.service")).unwrap();
    f.set_len(100 * 1024 * 1024).unwrap();
    let d = sys.join("ok.service.d");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(sys.join("ok.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
    std::fs::File::create(d.join("big.conf")).unwrap().set_len(5 * 1024 * 1024).unwrap();
    let out = util::bin("strata-harden-check")
        .arg("--json")
        .arg("--root")
        .arg(dir.path())
        .args(["nul", "ok"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let recs = util::ndjson(&out.stdout);
    assert_eq!(recs[0]["type"], "error");
    assert_eq!(recs[0]["file"], "/etc/systemd/system/nul.service");
    assert_eq!(recs[0]["error"], "cannot read /etc/systemd/system/nul.service: larger than 4194304 bytes");
    assert_eq!(recs[1]["file"], "/etc/systemd/system/ok.service.d/big.conf");
    assert!(recs[1]["error"].as_str().unwrap().ends_with("larger than 4194304 bytes"), "{}", recs[1]);
}

#[test]
fn an_error_reaches_stderr_in_a_pipe_too() {
    // A cron line: records in a pipe, and the reason on stderr for the log.
    let dir = tempfile::tempdir().unwrap();
    let sys = dir.path().join("etc/systemd/system");
    std::fs::create_dir_all(&sys).unwrap();
    std::fs::write(sys.join("header.service"), "[Service\nExecStart=/bin/true\n").unwrap();
    let script =
        format!("{}/strata-harden-check --root \"$1\" NOSUCHUNIT header 'bad\x1b[2J' | cat", util::bin_dir().display());
    let out = Std::new("bash").args(["-o", "pipefail", "-c", &script, "bash"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let recs = util::ndjson(&out.stdout);
    assert_eq!(recs.len(), 3, "the records stay on stdout");
    assert!(recs.iter().all(|r| r["type"] == "error"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("strata-harden-check: error: NOSUCHUNIT.service: unit NOSUCHUNIT.service not found"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: header.service: /etc/systemd/system/header.service: line 1: invalid section header"),
        "{stderr}"
    );
    assert!(stderr.contains("error: bad\\x1b[2J.service: invalid unit name"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
    // --quiet silences information, never an error.
    let out = util::bin("strata-harden-check")
        .args(["-q", "--json", "--root"])
        .arg(dir.path())
        .arg("NOSUCHUNIT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOSUCHUNIT.service not found"));
}

/// A policy that changes every kind of thing systemd-analyze lets it change.
const POLICY: &str = r#"{
  "UserOrDynamicUser": {"weight": 0},
  "PrivateDevices": {"weight": 3000, "range": 3, "description_bad": "devices: bad", "description_good": "devices: good"},
  "PrivateTmp": {"description_good": "tmp: good", "description_bad": "tmp: bad", "description_na": "tmp: n/a"},
  "SupplementaryGroups": {"description_na": "groups: n/a"},
  "ProtectHome": {"weight": 5000, "range": 20},
  "ProtectSystem": {"weight": 0},
  "CapabilityBoundingSet_CAP_SYS_ADMIN": {"weight": 4000},
  "SystemCallFilter_swap": {"weight": 2500, "range": 15},
  "RestrictNamespaces_user": {"weight": 0, "description_na": "never shown: an excluded check says so"},
  "DeviceAllow": {"range": 11}
}"#;

#[test]
fn security_policy_scores_as_systemd_analyze_scores_it() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, POLICY).unwrap();
    let extra = [format!("--security-policy={}", policy.display())];
    let (units, checks) = compare_with(&testdata("edge"), &[], &extra);
    assert!(units > 40, "{units}");
    compare_with(&testdata("corpus"), &["redis-server", "mariadb", "php8.2-fpm", "apache2", "cron"], &extra);
    // And the unit files of the machine the tests run on.
    let (here, _) = compare_with(Path::new("/"), &[], &extra);
    eprintln!("policy: {units} units, {checks} checks agree; {here} units of this machine");
    // The policy shows: a check left out says so, and a description is the policy's.
    let out = util::bin("strata-harden-check")
        .args(["--json", "--root"])
        .arg(testdata("corpus"))
        .args(&extra)
        .arg("cron")
        .output()
        .unwrap();
    let rec = &util::ndjson(&out.stdout)[0];
    let check = |f: &str| rec["checks"].as_array().unwrap().iter().find(|c| c["json_field"] == f).unwrap().clone();
    assert_eq!(check("UserOrDynamicUser")["description"], "Option excluded by policy, skipping");
    assert_eq!(check("UserOrDynamicUser")["badness"], Value::Null);
    assert_eq!(check("PrivateDevices")["weight"], 3000);
    assert_eq!(check("SupplementaryGroups")["description"], "groups: n/a");
}

#[test]
fn a_bad_security_policy_is_an_error_naming_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    for (text, named) in [
        ("{\"PrivateTmp\": {\"weight\": 1,}}", "line 1 column"),
        ("[1]", "not an object of checks"),
        ("{\"PrivateTmpp\": {\"weight\": 1}}", "\"PrivateTmpp\": no such check"),
        ("{\"PrivateTmp\": {\"weight\": \"high\"}}", "PrivateTmp.weight: \"high\" is not an unsigned integer"),
        ("{\"PrivateTmp\": {\"range\": 0}}", "PrivateTmp.range: 0"),
        ("{\"PrivateTmp\": {\"wieght\": 1}}", "PrivateTmp.wieght: no such field"),
        ("{\"PrivateTmp\": {\"description_bad\": 7}}", "PrivateTmp.description_bad: a JSON number, not a string"),
    ] {
        let policy = dir.path().join("policy.json");
        std::fs::write(&policy, text).unwrap();
        let out = util::bin("strata-harden-check")
            .args(["--json", "--root"])
            .arg(testdata("corpus"))
            .arg("--security-policy")
            .arg(&policy)
            .arg("cron")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text}: {stderr}");
        assert!(out.stdout.is_empty(), "{text}: nothing is assessed with a bad policy");
        assert!(stderr.contains(&format!("--security-policy {}: ", policy.display())), "{text}: {stderr}");
        assert!(stderr.contains(named), "{text}: {stderr}");
    }
    let out = util::bin("strata-harden-check")
        .args(["--security-policy", "/nonexistent/policy.json", "cron"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/policy.json: cannot read it"));
}

#[test]
fn a_policy_range_below_a_badness_is_refused_for_that_unit() {
    // systemd-analyze stops on an assertion there; here the unit gets an error record.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, r#"{"ProtectHome": {"range": 2}}"#).unwrap();
    let extra = [format!("--security-policy={}", policy.display())];
    let out = util::bin("strata-harden-check")
        .args(["--json", "--root"])
        .arg(testdata("corpus"))
        .args(&extra)
        .arg("cron")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let rec = &util::ndjson(&out.stdout)[0];
    assert_eq!(rec["type"], "error");
    assert!(rec["error"].as_str().unwrap().contains("range 2 of ProtectHome is below this unit's badness 10"), "{rec}");
    assert!(oracle_with(&testdata("corpus"), "cron.service", &extra).is_none());
}

/// The locale and terminal both programs see: emoji when UTF-8 and not dumb, as systemd decides.
const GLYPH_UNSET: [&str; 3] = ["LC_ALL", "LC_CTYPE", "SYSTEMD_EMOJI"];

fn glyph_env(term: &str) -> [(&'static str, String); 2] {
    [("LANG", "C.UTF-8".to_string()), ("TERM", term.to_string())]
}

#[test]
fn several_units_show_one_line_each_with_systemd_analyze_numbers() {
    let root = testdata("corpus");
    for term in ["xterm-256color", "dumb"] {
        let mut cmd = util::bin("strata-harden-check");
        cmd.envs(glyph_env(term));
        for k in GLYPH_UNSET {
            cmd.env_remove(k);
        }
        // Wide enough that no unit name is folded.
        cmd.env("COLUMNS", "200");
        let out = cmd.args(["--all", "--format", "table", "--root"]).arg(&root).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // One row per unit; a unit name wider than its column may fold onto a line of its own.
        let mut rows: Vec<Vec<String>> = Vec::new();
        for line in &lines[1..] {
            let cols: Vec<String> = line.split_whitespace().map(str::to_string).collect();
            match (cols.len(), rows.last_mut()) {
                (1, Some(row)) => row[0].push_str(&cols[0]),
                _ => rows.push(cols),
            }
        }
        let n = util::ndjson(
            &util::bin("strata-harden-check").args(["--all", "--json", "--root"]).arg(&root).output().unwrap().stdout,
        )
        .len();
        assert_eq!(rows.len(), n, "one row per unit:\n{text}");
        let header: Vec<&str> = lines[0].split_whitespace().collect();
        assert_eq!(header, ["UNIT", "EXPOSURE", "PREDICATE", "HAPPY"]);
        // Every 10th unit against systemd-analyze's own line for it: exposure, predicate, face.
        let mut compared = 0;
        for row in rows.iter().step_by(10) {
            let [unit, exposure, predicate, happy] = &row[..] else { panic!("not 4 columns: {row:?}") };
            let mut sa = Std::new("systemd-analyze");
            sa.envs(glyph_env(term));
            for k in GLYPH_UNSET {
                sa.env_remove(k);
            }
            let sa =
                sa.args(["security", "--offline=true", &format!("--root={}", root.display()), unit]).output().unwrap();
            let sa = String::from_utf8_lossy(&sa.stdout);
            let overall = sa.lines().find(|l| l.contains("Overall exposure level")).expect("overall line");
            let theirs: Vec<&str> = overall.rsplit_once(": ").unwrap().1.split_whitespace().collect();
            assert_eq!([exposure.as_str(), predicate, happy], theirs[..], "{unit} (TERM={term})");
            compared += 1;
        }
        assert!(compared >= 25, "{compared}");
    }
}

#[test]
fn detail_shows_every_unit_check_by_check_and_one_unit_is_detailed() {
    let root = testdata("corpus");
    let run = |args: &[&str]| {
        let out = util::bin("strata-harden-check").args(["--format", "table", "--root"]).arg(&root).args(args).output();
        String::from_utf8(out.unwrap().stdout).unwrap()
    };
    let detail = run(&["--detail", "cron", "redis-server"]);
    assert_eq!(detail.matches("Overall exposure level for").count(), 2, "{detail}");
    let one = run(&["cron"]);
    assert_eq!(one.matches("Overall exposure level for").count(), 1, "{one}");
    let summary = run(&["cron", "redis-server"]);
    assert_eq!(summary.lines().count(), 3, "{summary}");
    assert!(!summary.contains("Overall"), "{summary}");
    // NDJSON stays complete: every check of every unit.
    let out =
        util::bin("strata-harden-check").args(["--json", "--root"]).arg(&root).args(["cron", "redis-server"]).output();
    let recs = util::ndjson(&out.unwrap().stdout);
    assert!(recs.iter().all(|r| r["checks"].as_array().unwrap().len() == 81));
}
