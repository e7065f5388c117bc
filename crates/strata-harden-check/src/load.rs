//! Finding a unit's files under a root directory as systemd 252 does offline: the unit search
//! path, aliases (symlinks), templates, masking, and drop-ins (`UNIT.d/`, the template's, the
//! dash prefixes' `foo-.service.d/`, and the type's `service.d/`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Whose units: the system manager's or a user manager's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    System,
    User,
}

/// The unit directories in priority order (highest first), as seen inside the root.
pub fn search_paths(scope: Scope) -> &'static [&'static str] {
    match scope {
        Scope::System => &[
            "/etc/systemd/system.control",
            "/run/systemd/system.control",
            "/run/systemd/transient",
            "/run/systemd/generator.early",
            "/etc/systemd/system",
            "/etc/systemd/system.attached",
            "/run/systemd/system",
            "/run/systemd/system.attached",
            "/run/systemd/generator",
            "/usr/local/lib/systemd/system",
            "/lib/systemd/system",
            "/usr/lib/systemd/system",
            "/run/systemd/generator.late",
        ],
        Scope::User => &[
            "/etc/systemd/user",
            "/run/systemd/user",
            "/usr/local/share/systemd/user",
            "/usr/share/systemd/user",
            "/usr/local/lib/systemd/user",
            "/usr/lib/systemd/user",
        ],
    }
}

/// Why a unit could not be found or loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("unit {0} not found")]
    NotFound(String),
    #[error("unit {0} is masked")]
    Masked(String),
    #[error("invalid unit name {0:?}")]
    BadName(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: too many levels of symbolic links")]
    Loop { path: String },
}

/// Where a name in the unit directories leads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A regular file (path inside the root).
    File(PathBuf),
    Masked,
}

/// A root directory with its unit directories scanned once.
pub struct Root {
    pub dir: PathBuf,
    pub scope: Scope,
    /// name -> what the highest-priority entry of that name leads to.
    names: HashMap<String, Target>,
    /// names in the order `--all` lists them.
    pub all_names: Vec<String>,
    /// A profile file (host path) applied to every unit as a drop-in, like `--profile`.
    pub profile: Option<PathBuf>,
    /// The weights, ranges and descriptions of `--security-policy` (systemd's own by default).
    pub policy: crate::policy::Policy,
    /// The `*.d` entries of the unit directories (as paths inside the root): only these can hold
    /// drop-ins, so other candidates cost no file system lookup.
    dot_d: HashSet<PathBuf>,
    /// Unit directories left out, and why (e.g. a symbolic link loop).
    pub warnings: Vec<String>,
}

/// The drop-in name a profile takes.
pub const PROFILE_NAME: &str = "profile.conf";

/// The files that make up one unit.
#[derive(Debug, Clone)]
pub struct UnitFiles {
    /// The name as asked (a template is instantiated as `foo@i.service`, like systemd-analyze).
    pub name: String,
    /// The main file, inside the root (e.g. `/lib/systemd/system/foo.service`).
    pub fragment: PathBuf,
    /// Drop-ins in the order they apply, inside the root.
    pub dropins: Vec<PathBuf>,
    /// All names of the unit (itself, its aliases).
    pub names: Vec<String>,
    /// With a profile: the index in `dropins` before which it applies (it sorts as `profile.conf`).
    pub profile_at: Option<usize>,
    /// The fragment is a link that the host resolves to a file outside the root (a "linked
    /// unit": systemd reads it from there too).
    pub linked_outside_root: bool,
}

/// Follows symlinks of `path` (inside the root) component by component, never leaving the root.
/// Returns the resolved path inside the root, or `None` when it leads to `/dev/null`.
pub fn chase(root: &Path, path: &Path) -> Result<Option<PathBuf>, LoadError> {
    let mut pending: Vec<std::ffi::OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    pending.reverse();
    let mut cur = PathBuf::from("/");
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            cur.pop();
            continue;
        }
        let next = cur.join(&part);
        let host = host_path(root, &next);
        match fs::symlink_metadata(&host) {
            Ok(md) if md.file_type().is_symlink() => {
                hops += 1;
                if hops > 32 {
                    return Err(LoadError::Loop { path: path.display().to_string() });
                }
                let target = fs::read_link(&host).map_err(|e| io_err(&next, &e))?;
                if target == Path::new("/dev/null") {
                    return Ok(None);
                }
                let mut parts: Vec<std::ffi::OsString> = target
                    .components()
                    .filter_map(|c| match c {
                        Component::Normal(s) => Some(s.to_os_string()),
                        Component::ParentDir => Some("..".into()),
                        _ => None,
                    })
                    .collect();
                if target.is_absolute() {
                    cur = PathBuf::from("/");
                }
                parts.reverse();
                pending.extend(parts);
            }
            Ok(_) => cur = next,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                cur = next;
                for p in pending.drain(..).rev() {
                    cur.push(p);
                }
                return Ok(Some(cur));
            }
            Err(e) => return Err(io_err(&next, &e)),
        }
    }
    if cur == Path::new("/dev/null") {
        return Ok(None);
    }
    Ok(Some(cur))
}

/// The host path of a path inside the root.
pub fn host_path(root: &Path, inside: &Path) -> PathBuf {
    root.join(inside.strip_prefix("/").unwrap_or(inside))
}

fn io_err(p: &Path, e: &std::io::Error) -> LoadError {
    LoadError::Io { path: p.display().to_string(), message: e.to_string() }
}

/// True for an empty regular file or a character device like /dev/null: systemd treats both as masks.
fn null_or_empty(md: &fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    (md.is_file() && md.len() == 0) || md.file_type().is_char_device()
}

/// Unit types systemd knows (for `service.d/` and name checks).
const UNIT_TYPES: &[&str] =
    &["service", "socket", "target", "device", "mount", "automount", "swap", "timer", "path", "slice", "scope"];

/// Splits `foo@bar.service` into (`foo`, Some(`bar`), `service`).
pub fn split_name(name: &str) -> Option<(&str, Option<&str>, &str)> {
    let (stem, ty) = name.rsplit_once('.')?;
    if !UNIT_TYPES.contains(&ty) || stem.is_empty() || name.len() > 255 {
        return None;
    }
    let ok = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || ":-_.\\".contains(c));
    match stem.split_once('@') {
        Some((prefix, inst)) => {
            if prefix.is_empty()
                || !ok(prefix)
                || !(inst.is_empty() || inst.chars().all(|c| c.is_ascii_alphanumeric() || ":-_.\\@".contains(c)))
            {
                return None;
            }
            Some((prefix, Some(inst), ty))
        }
        None => ok(stem).then_some((stem, None, ty)),
    }
}

impl Root {
    /// The service names `--all` assesses: not templates, not masked, and not aliases (an alias
    /// is assessed under the name of the file it leads to).
    pub fn services(&self) -> Vec<String> {
        self.all_names
            .iter()
            .filter(|n| n.ends_with(".service") && !n.contains("@."))
            .filter(|n| match self.names.get(*n) {
                Some(Target::File(p)) => p.file_name().and_then(|f| f.to_str()) == Some(n.as_str()),
                _ => false,
            })
            .cloned()
            .collect()
    }

    /// Scans the unit directories under `dir`.
    pub fn open(dir: &Path, scope: Scope) -> Result<Root, LoadError> {
        let mut names: HashMap<String, Target> = HashMap::new();
        let mut listed: BTreeMap<String, ()> = BTreeMap::new();
        let mut dot_d: HashSet<PathBuf> = HashSet::new();
        let in_dirs: Vec<PathBuf> =
            search_paths(scope).iter().filter_map(|sp| chase(dir, Path::new(sp)).ok().flatten()).collect();
        let mut warnings = Vec::new();
        for sp in search_paths(scope) {
            // One unreadable directory (a link loop, no permission) leaves out that directory only.
            let real = match chase(dir, Path::new(sp)) {
                Ok(Some(real)) => real,
                Ok(None) => continue,
                Err(e) => {
                    warnings.push(format!("skipping {sp}: {e}"));
                    continue;
                }
            };
            let host = host_path(dir, &real);
            let Ok(rd) = fs::read_dir(&host) else {
                continue;
            };
            let mut entries: Vec<String> =
                rd.filter_map(|e| e.ok()).filter_map(|e| e.file_name().into_string().ok()).collect();
            entries.sort();
            for name in entries.iter().filter(|n| n.ends_with(".d")) {
                dot_d.insert(Path::new(sp).join(name));
            }
            for name in entries {
                if split_name(&name).is_none() || names.contains_key(&name) {
                    continue;
                }
                let inside = Path::new(sp).join(&name);
                let target = match chase(dir, &inside) {
                    // A link to a file outside the unit directories ("linked unit"): systemd
                    // keeps the link itself as the fragment and opens it as the host resolves it.
                    Ok(Some(p)) if p != inside && !in_dirs.iter().any(|d| p.parent() == Some(d.as_path())) => {
                        match fs::metadata(host_path(dir, &inside)) {
                            Ok(md) if null_or_empty(&md) => Target::Masked,
                            Ok(md) if md.is_file() => Target::File(inside),
                            _ => continue,
                        }
                    }
                    Ok(Some(p)) => match fs::metadata(host_path(dir, &p)) {
                        Ok(md) if null_or_empty(&md) => Target::Masked,
                        Ok(md) if md.is_file() => Target::File(p),
                        _ => continue,
                    },
                    Ok(None) => Target::Masked,
                    Err(_) => continue,
                };
                listed.insert(name.clone(), ());
                names.insert(name, target);
            }
        }
        let all_names = listed.into_keys().collect();
        Ok(Root {
            dir: dir.to_path_buf(),
            scope,
            names,
            all_names,
            profile: None,
            policy: Default::default(),
            dot_d,
            warnings,
        })
    }

    /// Finds the files of `name` (a template is instantiated as `foo@i.service`).
    pub fn unit(&self, name: &str) -> Result<UnitFiles, LoadError> {
        let Some((prefix, inst, ty)) = split_name(name) else {
            return Err(LoadError::BadName(name.to_string()));
        };
        let name = match inst {
            Some("") => format!("{prefix}@i.{ty}"),
            _ => name.to_string(),
        };
        let template = inst.map(|_| format!("{prefix}@.{ty}"));
        let target = self.names.get(&name).or_else(|| template.as_ref().and_then(|t| self.names.get(t)));
        let fragment = match target {
            None => return Err(LoadError::NotFound(name)),
            Some(Target::Masked) => return Err(LoadError::Masked(name)),
            Some(Target::File(p)) => p.clone(),
        };
        // Every name leading to the same file is an alias whose drop-ins apply too.
        let mut names: Vec<String> = vec![name.clone()];
        if let Some(base) = fragment.file_name().and_then(|s| s.to_str()) {
            let base = base.to_string();
            if base != name
                && template.as_deref() != Some(base.as_str())
                && split_name(&base).is_some_and(|(_, _, t)| t == ty)
            {
                names.push(base);
            }
        }
        let mut aliases: Vec<&String> = self
            .names
            .iter()
            .filter(|(n, t)| {
                matches!(t, Target::File(p) if *p == fragment) && !names.contains(n) && template.as_ref() != Some(*n)
            })
            .map(|(n, _)| n)
            .collect();
        aliases.sort();
        names.extend(aliases.into_iter().cloned());
        let (dropins, profile_at) = self.dropins(&names, ty)?;
        let linked_outside_root = match (fs::canonicalize(host_path(&self.dir, &fragment)), fs::canonicalize(&self.dir))
        {
            (Ok(file), Ok(root)) => !file.starts_with(root),
            _ => false,
        };
        Ok(UnitFiles { name, fragment, dropins, names, profile_at, linked_outside_root })
    }

    fn dropins(&self, names: &[String], ty: &str) -> Result<(Vec<PathBuf>, Option<usize>), LoadError> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        for n in names {
            for sp in search_paths(self.scope) {
                find_dirs(Path::new(sp), n, &mut dirs);
            }
        }
        for sp in search_paths(self.scope) {
            dirs.push(Path::new(sp).join(format!("{ty}.d")));
        }
        let mut seen: HashSet<PathBuf> = HashSet::new();
        let mut files: BTreeMap<String, Option<PathBuf>> = BTreeMap::new();
        for d in dirs {
            if !self.dot_d.contains(&d) || !seen.insert(d.clone()) {
                continue;
            }
            let Ok(Some(real)) = chase(&self.dir, &d) else {
                continue;
            };
            let Ok(rd) = fs::read_dir(host_path(&self.dir, &real)) else {
                continue;
            };
            for e in rd.filter_map(|e| e.ok()) {
                let Ok(fname) = e.file_name().into_string() else {
                    continue;
                };
                if !fname.ends_with(".conf") || files.contains_key(&fname) {
                    continue;
                }
                let inside = d.join(&fname);
                let entry = match chase(&self.dir, &inside)? {
                    None => None,
                    Some(p) => match fs::metadata(host_path(&self.dir, &p)) {
                        Ok(md) if null_or_empty(&md) => None,
                        Ok(md) if md.is_file() => Some(p),
                        _ => continue,
                    },
                };
                files.insert(fname, entry);
            }
        }
        // A profile is a drop-in named profile.conf in the lowest-priority directory.
        let profile_at = (self.profile.is_some() && !files.contains_key(PROFILE_NAME))
            .then(|| files.iter().filter(|(n, p)| n.as_str() < PROFILE_NAME && p.is_some()).count());
        Ok((files.into_values().flatten().collect(), profile_at))
    }
}

/// The drop-in directories of one name in one unit directory, like systemd's `unit_file_find_dirs`.
fn find_dirs(dir: &Path, name: &str, out: &mut Vec<PathBuf>) {
    out.push(dir.join(format!("{name}.d")));
    let Some((prefix, inst, ty)) = split_name(name) else {
        return;
    };
    if inst.is_some_and(|i| !i.is_empty()) {
        find_dirs(dir, &format!("{prefix}@.{ty}"), out);
    }
    // foo-bar-baz.service -> foo-bar-.service -> foo-.service
    let mut p = prefix.to_string();
    let mut chopped = false;
    loop {
        let Some(dash) = p.rfind('-') else { return };
        if dash == 0 {
            return;
        }
        if dash + 1 != p.len() || chopped {
            p.truncate(dash + 1);
            break;
        }
        p.truncate(dash);
        chopped = true;
    }
    find_dirs(dir, &format!("{p}.{ty}"), out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_dropin_dirs() {
        let mut v = Vec::new();
        find_dirs(Path::new("/etc/systemd/system"), "foo-bar-baz@x.service", &mut v);
        let v: Vec<String> = v.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            v,
            [
                "/etc/systemd/system/foo-bar-baz@x.service.d",
                "/etc/systemd/system/foo-bar-baz@.service.d",
                "/etc/systemd/system/foo-bar-.service.d",
                "/etc/systemd/system/foo-.service.d",
                "/etc/systemd/system/foo-bar-.service.d",
                "/etc/systemd/system/foo-.service.d",
            ]
        );
    }

    #[test]
    fn names() {
        assert_eq!(split_name("a@b.service"), Some(("a", Some("b"), "service")));
        assert_eq!(split_name("a@.service"), Some(("a", Some(""), "service")));
        assert_eq!(split_name("a.foo"), None);
        assert_eq!(split_name("a b.service"), None);
    }
}
