//! The sandboxing drop-in `--suggest` proposes: directives chosen so that the service keeps
//! working for its kind (the directories it declares stay writable, network families only when
//! it is a network service, no privilege-dropping syscalls taken from a root service), and the
//! exposure predicted by assessing the unit with the drop-in applied.
//!
//! It is chosen from the unit without its own drop-in, so a second `--write` proposes what the
//! first one installed; a drop-in that adds nothing, or one that would score worse than the
//! drop-in in place, is never installed.

use crate::assess::{self, Outcome, group, id};
use crate::load::{Root, UnitFiles};
use crate::parse::{self, Assignment};
use crate::{UnitRecord, context};

pub const DROPIN_NAME: &str = "50-strata-harden.conf";

/// A proposed drop-in.
#[derive(Debug, Clone)]
pub struct Suggestion {
    /// Inside the root: `/etc/systemd/system/UNIT.d/50-strata-harden.conf`.
    pub path: String,
    pub text: String,
    pub predicted_tenths: u64,
    /// Whether `--write` installs it: false when it adds no directive, or when the drop-in in
    /// place already gives a lower exposure.
    pub install: bool,
}

fn values<'a>(
    parsed: &'a [(String, Vec<Assignment>)],
    section: &'a str,
    key: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    parsed
        .iter()
        .flat_map(|(_, a)| a.iter())
        .filter(move |a| a.section == section && a.key == key)
        .map(|a| a.value.as_str())
}

/// Programs that keep time.
const TIME_WORDS: &[&str] = &["chrony", "ntp", "timesync", "ptp4l", "phc2sys", "gpsd"];

/// Programs that work on disks and devices.
const DEVICES_WORDS: &[&str] = &[
    "smartd",
    "mdadm",
    "mdmon",
    "lvm",
    "dmeventd",
    "multipath",
    "udev",
    "iscsi",
    "nvme",
    "fstrim",
    "zfs",
    "zed",
    "e2scrub",
    "xfs_scrub",
    "cryptsetup",
    "hdparm",
    "blkdeactivate",
    "lvmlockd",
    "nut",
    "upsd",
    "apcupsd",
    "fwupd",
    "tpm2",
    "pcscd",
    "rasdaemon",
    "mcelog",
    "sensors",
    "fancontrol",
    "watchdog",
    "rngd",
    "haveged",
];

/// Programs that configure the network.
const NETCONF_WORDS: &[&str] = &[
    "NetworkManager",
    "networkd",
    "dhclient",
    "dhcpcd",
    "dhcrelay",
    "kea",
    "wpa_supplicant",
    "hostapd",
    "ifup",
    "keepalived",
    "frr",
    "zebra",
    "bird",
    "openvpn",
    "charon",
    "ipsec",
    "strongswan",
    "pluto",
    "xl2tpd",
    "radvd",
    "dnsmasq",
    "miniupnpd",
    "ovs-",
    "openvswitch",
    "lldpd",
    "conntrackd",
    "netfilter",
    "nft",
    "iptables",
    "firewalld",
];

/// Programs that run containers or virtual machines.
const CONTAINER_WORDS: &[&str] =
    &["docker", "containerd", "podman", "lxc", "lxd", "libvirt", "qemu", "machined", "nspawn", "runc", "crio"];

/// What a service is, judged from its name and programs: some sandboxing breaks some kinds.
#[derive(Debug, Default, Clone, Copy)]
struct Kind {
    /// Sets the clock (chrony, ntpd, ...): keeps ProtectClock= off, @clock and CAP_SYS_TIME.
    time: bool,
    /// Works on disks and devices (smartd, mdadm, lvm, ...): keeps devices, raw I/O, modules.
    devices: bool,
    /// Configures the network (NetworkManager, dhclient, ...): packet sockets, CAP_NET_ADMIN.
    netconf: bool,
    /// Runs containers or virtual machines: nothing generic is safe.
    container: bool,
}

impl Kind {
    fn of<'a>(unit: &str, exec: impl Iterator<Item = &'a str>) -> Kind {
        let mut words: Vec<String> =
            vec![unit.trim_end_matches(".service").split('@').next().unwrap_or("").to_string()];
        for e in exec {
            if let Some(first) = e.split_whitespace().next() {
                let prog = first.trim_start_matches(['-', '@', ':', '+', '!']);
                words.push(prog.rsplit('/').next().unwrap_or(prog).to_string());
            }
        }
        let any = |list: &[&str]| words.iter().any(|w| list.iter().any(|k| w.contains(k)));
        Kind {
            time: any(TIME_WORDS),
            devices: any(DEVICES_WORDS),
            netconf: any(NETCONF_WORDS),
            container: any(CONTAINER_WORDS),
        }
    }
}

/// Which checks a unit fails, asked by the constants [`assess`] defines.
struct Bad<'a>(&'a [Outcome]);

impl Bad<'_> {
    /// The check with this `json_field` finds something to lower.
    fn check(&self, json_field: &'static str) -> bool {
        #[cfg(test)]
        ASKED.with(|a| a.borrow_mut().push((json_field, false)));
        self.0.iter().any(|o| o.check.json_field == json_field && o.badness.is_some_and(|b| b > 0))
    }
    /// Some check of the group whose `json_field`s start with `prefix` finds something to lower.
    fn any_of(&self, prefix: &'static str) -> bool {
        #[cfg(test)]
        ASKED.with(|a| a.borrow_mut().push((prefix, true)));
        self.0.iter().any(|o| o.check.json_field.starts_with(prefix) && o.badness.is_some_and(|b| b > 0))
    }
}

#[cfg(test)]
thread_local! {
    /// Every check id (or group prefix, `true`) `suggest` asked about on this thread.
    static ASKED: std::cell::RefCell<Vec<(&'static str, bool)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What the directives are chosen from: the unit without its own drop-in.
struct Unit<'a> {
    parsed: &'a [(String, Vec<Assignment>)],
    bad: Bad<'a>,
    kind: Kind,
    /// It runs as root (no User=, or User=root, and no DynamicUser=).
    root_user: bool,
    /// It looks like a network service (network targets, a socket unit, or it configures the network).
    network: bool,
}

impl Unit<'_> {
    /// The words of every `[Service]` assignment of `key`.
    fn words(&self, key: &str) -> Vec<String> {
        values(self.parsed, "Service", key).flat_map(|v| v.split_whitespace().map(str::to_string)).collect()
    }
}

/// A directive and why it is safe for this unit.
type Line = (String, String);

fn line(why: &str, directive: impl Into<String>) -> Line {
    (why.to_string(), directive.into())
}

/// The drop-in's path inside the root.
pub fn dropin_path(files: &UnitFiles) -> String {
    format!("/etc/systemd/system/{}.d/{DROPIN_NAME}", files.name)
}

/// Builds the drop-in for one assessed unit (`rec` is its assessment as it is now).
pub fn suggest(
    root: &Root,
    files: &UnitFiles,
    parsed: &[(String, Vec<Assignment>)],
    rec: &UnitRecord,
) -> anyhow::Result<Suggestion> {
    let path = dropin_path(files);
    let fragment = files.fragment.display().to_string();
    let names = context::Names { name: &files.name, fragment: &fragment };
    let base: Vec<(String, Vec<Assignment>)> = parsed.iter().filter(|(p, _)| *p != path).cloned().collect();
    let info = context::build(&base, &names, root.scope);
    let outcomes = assess::assess(&info, &root.policy);
    let base_tenths = assess::exposure_tenths(&outcomes);
    let now_tenths = (rec.exposure * 10.0).round() as u64;
    let kind = Kind::of(&files.name, values(&base, "Service", "ExecStart"));
    if kind.container {
        return Ok(unchanged(path, CONTAINER, now_tenths));
    }
    let network = kind.netconf
        || values(&base, "Unit", "After")
            .chain(values(&base, "Unit", "Wants"))
            .chain(values(&base, "Unit", "Requires"))
            .any(|v| v.contains("network"))
        || root.unit(&files.name.replace(".service", ".socket")).is_ok();
    let root_user = matches!(info.user.as_deref(), None | Some("" | "root" | "0")) && !info.dynamic_user;
    let unit = Unit { parsed: &base, bad: Bad(&outcomes), kind, root_user, network };
    let lines = directives(&unit);
    // Where the loader puts the drop-in: among the others, by file name.
    let at = 1 + files
        .dropins
        .iter()
        .filter(|d| d.display().to_string() != path)
        .filter(|d| d.file_name().is_some_and(|n| n.to_string_lossy().as_ref() < DROPIN_NAME))
        .count();
    let predict = |kept: &[&Line]| -> anyhow::Result<u64> {
        let extra = parse::parse(render(kept).as_bytes(), &["Unit", "Service", "Install"])
            .map_err(|e| anyhow::anyhow!("suggested drop-in does not parse: {e}"))?;
        let mut all = base.clone();
        all.insert(at.min(all.len()), (path.clone(), extra.assignments));
        Ok(assess::exposure_tenths(&assess::assess(&context::build(&all, &names, root.scope), &root.policy)))
    };
    let (kept, predicted_tenths) = keep_lowering(&lines, predict)?;
    if predicted_tenths > now_tenths {
        return Ok(unchanged(path, KEPT, now_tenths));
    }
    let mut text = String::from("[Service]\n");
    if kept.is_empty() {
        text.push_str("# nothing to add: the remaining exposure needs choices only the service's owner can make\n");
    }
    for (why, directive) in &kept {
        text.push_str(&format!("# {why}\n{directive}\n"));
    }
    text.push_str(&format!(
        "# predicted exposure: {} {} ({} {} without this drop-in)\n",
        assess::tenths(predicted_tenths),
        assess::rating(predicted_tenths),
        assess::tenths(base_tenths),
        assess::rating(base_tenths),
    ));
    Ok(Suggestion { path, text, predicted_tenths, install: !kept.is_empty() })
}

const CONTAINER: &str = "# nothing suggested: a container or virtual machine manager needs namespaces, mounts,\n\
                         # devices and capabilities that a generic sandbox would take away\n";
const KEPT: &str = "# nothing suggested: the drop-in in place gives a lower exposure than a new one would\n";

/// A suggestion that changes nothing: `why`, and the exposure as it is.
fn unchanged(path: String, why: &str, now_tenths: u64) -> Suggestion {
    let mut text = format!("[Service]\n{why}");
    text.push_str(&format!(
        "# predicted exposure: {} {} (unchanged)\n",
        assess::tenths(now_tenths),
        assess::rating(now_tenths)
    ));
    Suggestion { path, text, predicted_tenths: now_tenths, install: false }
}

/// The directives alone, as a drop-in.
fn render(kept: &[&Line]) -> String {
    let mut text = String::from("[Service]\n");
    for (_, d) in kept {
        text.push_str(d);
        text.push('\n');
    }
    text
}

/// Keeps each line only when it does not raise the exposure given those kept before it (e.g. an
/// address family added to a unit's own, narrower allow list would).
fn keep_lowering<'l>(
    lines: &'l [Line],
    predict: impl Fn(&[&'l Line]) -> anyhow::Result<u64>,
) -> anyhow::Result<(Vec<&'l Line>, u64)> {
    let mut kept: Vec<&Line> = Vec::new();
    let mut predicted = predict(&kept)?;
    for line in lines {
        kept.push(line);
        let t = predict(&kept)?;
        if t <= predicted {
            predicted = t;
        } else {
            kept.pop();
        }
    }
    Ok((kept, predicted))
}

/// Every directive that may lower the unit's exposure, in the order they are tried.
fn directives(u: &Unit<'_>) -> Vec<Line> {
    let mut lines = file_system(u);
    lines.extend(kernel(u));
    lines.extend(sockets(u));
    lines.extend(system_calls(u));
    lines.extend(capabilities(u));
    lines
}

/// Temporary files, privileges, the OS tree, home directories and devices.
fn file_system(u: &Unit<'_>) -> Vec<Line> {
    let mut lines = Vec::new();
    if u.bad.check(id::PRIVATE_TMP) {
        lines.push(line(
            "a private /tmp and /var/tmp: other services' temporary files are out of reach",
            "PrivateTmp=yes",
        ));
    }
    if u.bad.check(id::NO_NEW_PRIVILEGES) {
        lines.push(line("setuid binaries and file capabilities cannot raise privileges", "NoNewPrivileges=yes"));
    }
    if u.bad.check(id::PROTECT_SYSTEM) {
        lines.extend(protect_system(u));
    }
    if u.bad.check(id::PROTECT_HOME) {
        lines.push(line("/home, /root and /run/user are read-only", "ProtectHome=read-only"));
    }
    // A unit that lists the devices it uses (DeviceAllow=) or keeps time needs them visible.
    if u.bad.check(id::PRIVATE_DEVICES) && !u.kind.devices && !u.kind.time && u.words("DeviceAllow").is_empty() {
        lines.push(line("only pseudo devices (/dev/null, /dev/urandom, ...) are visible", "PrivateDevices=yes"));
    }
    lines
}

/// ProtectSystem=: strict with the directories the unit declares writable, full without any.
fn protect_system(u: &Unit<'_>) -> Vec<Line> {
    let mut rw: Vec<String> = Vec::new();
    for (key, base) in [
        ("StateDirectory", "/var/lib"),
        ("LogsDirectory", "/var/log"),
        ("RuntimeDirectory", "/run"),
        ("CacheDirectory", "/var/cache"),
    ] {
        for d in u.words(key) {
            let d = d.split(':').next().unwrap_or(&d).to_string();
            rw.push(format!("{base}/{d}"));
        }
    }
    if rw.is_empty() && u.words("ReadWritePaths").is_empty() {
        return vec![line(
            "/usr, /boot and /etc are read-only (no declared state directories, so not strict)",
            "ProtectSystem=full",
        )];
    }
    let mut lines =
        vec![line("the whole file system is read-only except the directories below", "ProtectSystem=strict")];
    if !rw.is_empty() {
        lines.push(line(
            "the StateDirectory=/LogsDirectory=/RuntimeDirectory=/CacheDirectory= the unit declares stay writable",
            format!("ReadWritePaths={}", rw.join(" ")),
        ));
    }
    lines
}

/// The boolean kernel protections, other users' processes, and namespaces.
fn kernel(u: &Unit<'_>) -> Vec<Line> {
    let mut lines = Vec::new();
    for (field, directive, why) in [
        (id::PROTECT_KERNEL_TUNABLES, "ProtectKernelTunables=yes", "/proc/sys and /sys are read-only"),
        (id::PROTECT_KERNEL_MODULES, "ProtectKernelModules=yes", "kernel modules cannot be loaded"),
        (id::PROTECT_KERNEL_LOGS, "ProtectKernelLogs=yes", "the kernel log ring buffer is out of reach"),
        (id::PROTECT_CONTROL_GROUPS, "ProtectControlGroups=yes", "the cgroup file system is read-only"),
        (id::PROTECT_CLOCK, "ProtectClock=yes", "the system and hardware clocks cannot be set"),
        (id::PROTECT_HOSTNAME, "ProtectHostname=yes", "the host name cannot be changed"),
        (id::RESTRICT_REALTIME, "RestrictRealtime=yes", "no realtime scheduling that could starve the machine"),
        (id::RESTRICT_SUID_SGID, "RestrictSUIDSGID=yes", "no setuid/setgid files can be created"),
        (id::LOCK_PERSONALITY, "LockPersonality=yes", "the execution domain cannot be changed"),
        (id::SYSTEM_CALL_ARCHITECTURES, "SystemCallArchitectures=native", "only the native system call ABI"),
    ] {
        let skip =
            (u.kind.time && field == id::PROTECT_CLOCK) || (u.kind.devices && field == id::PROTECT_KERNEL_MODULES);
        if u.bad.check(field) && !skip {
            lines.push(line(why, directive));
        }
    }
    if u.bad.check(id::PROTECT_PROC) && !u.root_user {
        lines.push(line("other users' processes are invisible in /proc", "ProtectProc=invisible"));
    }
    if u.bad.any_of(group::RESTRICT_NAMESPACES) {
        lines.push(line("no new namespaces of any kind", "RestrictNamespaces=yes"));
    }
    lines
}

/// RestrictAddressFamilies=, by what the unit does with the network.
fn sockets(u: &Unit<'_>) -> Vec<Line> {
    if !u.bad.any_of(group::RESTRICT_ADDRESS_FAMILIES) {
        return Vec::new();
    }
    vec![if u.kind.netconf {
        line(
            "it configures the network: local, Internet, netlink and packet sockets",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET",
        )
    } else if u.network {
        line(
            "local and Internet sockets (it is a network service), netlink for interface queries",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
        )
    } else {
        line("local sockets only (it does not look like a network service)", "RestrictAddressFamilies=AF_UNIX")
    }]
}

/// SystemCallFilter=, unless the unit has its own.
fn system_calls(u: &Unit<'_>) -> Vec<Line> {
    if !u.bad.any_of(group::SYSTEM_CALL_FILTER) || values(u.parsed, "Service", "SystemCallFilter").next().is_some() {
        return Vec::new();
    }
    let mut lines = vec![line("the system calls ordinary services use", "SystemCallFilter=@system-service")];
    if u.root_user || u.kind.time || u.kind.devices {
        let groups: Vec<&str> =
            ["@clock", "@cpu-emulation", "@debug", "@module", "@mount", "@obsolete", "@raw-io", "@reboot", "@swap"]
                .into_iter()
                .filter(|g| {
                    !(u.kind.time && *g == "@clock") && !(u.kind.devices && (*g == "@raw-io" || *g == "@module"))
                })
                .collect();
        lines.push(line(
            "no system calls a root service never needs (it may still change user and ownership)",
            format!("SystemCallFilter=~{}", groups.join(" ")),
        ));
    } else {
        lines.push(line(
            "no privileged or resource-changing system calls (it runs as its own user)",
            "SystemCallFilter=~@privileged @resources @obsolete @cpu-emulation @debug @mount",
        ));
    }
    lines
}

/// The capabilities a root daemon does not use.
const ROOT_DROPS: &[&str] = &[
    "CAP_SYS_ADMIN",
    "CAP_SYS_PTRACE",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_TIME",
    "CAP_SYS_BOOT",
    "CAP_MAC_ADMIN",
    "CAP_MAC_OVERRIDE",
    "CAP_LINUX_IMMUTABLE",
    "CAP_SYS_PACCT",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_SYS_TTY_CONFIG",
    "CAP_AUDIT_CONTROL",
    "CAP_AUDIT_READ",
    "CAP_BPF",
    "CAP_SYSLOG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_NET_ADMIN",
];

/// RemoveIPC= and CapabilityBoundingSet=: all capabilities off for a service of its own user, the
/// unused ones off for a root service.
fn capabilities(u: &Unit<'_>) -> Vec<Line> {
    let mut lines = Vec::new();
    if !u.root_user {
        if u.bad.check(id::REMOVE_IPC) {
            lines.push(line("its System V IPC objects are removed when it stops", "RemoveIPC=yes"));
        }
        if u.bad.any_of(group::CAPABILITY_BOUNDING_SET)
            && u.words("AmbientCapabilities").is_empty()
            && !u.kind.time
            && !u.kind.netconf
        {
            lines.push(line(
                "it runs as its own user and is given no capabilities, so it needs none",
                "CapabilityBoundingSet=",
            ));
        }
    } else if u.bad.any_of(group::CAPABILITY_BOUNDING_SET) {
        let caps: Vec<&str> = ROOT_DROPS
            .iter()
            .copied()
            .filter(|c| !(u.kind.time && (*c == "CAP_SYS_TIME" || *c == "CAP_WAKE_ALARM")))
            .filter(|c| {
                !(u.kind.devices && matches!(*c, "CAP_SYS_RAWIO" | "CAP_MKNOD" | "CAP_SYS_ADMIN" | "CAP_SYS_MODULE"))
            })
            .filter(|c| !(u.kind.netconf && *c == "CAP_NET_ADMIN"))
            .collect();
        lines.push(line(
            "drops the capabilities a root daemon does not use (it keeps those to change user, bind ports and read files)",
            format!("CapabilityBoundingSet=~{}", caps.join(" ")),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Scope;
    use crate::{Assessment, assess_unit};

    /// Suggests for each unit (name, text) of a fresh root; returns every check id and group
    /// prefix `suggest` asked about.
    fn asked_for(units: &[(&str, &str)]) -> Vec<(&'static str, bool)> {
        let dir = tempfile::tempdir().unwrap();
        let sys = dir.path().join("lib/systemd/system");
        std::fs::create_dir_all(&sys).unwrap();
        for (name, text) in units {
            std::fs::write(sys.join(name), text).unwrap();
        }
        let root = Root::open(dir.path(), Scope::System).unwrap();
        ASKED.with(|a| a.borrow_mut().clear());
        for (name, _) in units {
            let Assessment::Unit(rec, files, text) = assess_unit(&root, name) else { panic!("{name} not assessed") };
            suggest(&root, &files, &text.files, &rec).unwrap();
        }
        ASKED.with(|a| a.borrow().clone())
    }

    #[test]
    fn every_check_suggest_asks_about_exists() {
        let asked = asked_for(&[
            ("root.service", "[Service]\nExecStart=/usr/sbin/rootd\n"),
            ("own.service", "[Service]\nExecStart=/usr/bin/ownd\nUser=own\nStateDirectory=own\n"),
            ("chronyd.service", "[Service]\nExecStart=/usr/sbin/chronyd\nUser=_chrony\n"),
            ("smartd.service", "[Service]\nExecStart=/usr/sbin/smartd\n"),
        ]);
        for (field, prefix) in &asked {
            let found = assess::checks()
                .iter()
                .any(|c| if *prefix { c.json_field.starts_with(field) } else { c.json_field == *field });
            assert!(found, "suggest asks about {field}, which no check has");
        }
        // Every id and group was asked about by one of the units above.
        for id in [id::PRIVATE_TMP, id::REMOVE_IPC, id::PROTECT_PROC, id::SYSTEM_CALL_ARCHITECTURES] {
            assert!(asked.contains(&(id, false)), "{id} never asked");
        }
        for g in [
            group::CAPABILITY_BOUNDING_SET,
            group::RESTRICT_ADDRESS_FAMILIES,
            group::RESTRICT_NAMESPACES,
            group::SYSTEM_CALL_FILTER,
        ] {
            assert!(asked.contains(&(g, true)), "{g} never asked");
        }
    }
}
