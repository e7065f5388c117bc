//! The sandboxing drop-in `--suggest` proposes: directives chosen so that the service keeps
//! working for its kind (the directories it declares stay writable, network families only when
//! it is a network service, no privilege-dropping syscalls taken from a root service), and the
//! exposure predicted by assessing the unit with the drop-in applied.

use crate::load::{Root, UnitFiles};
use crate::parse::{self, Assignment};
use crate::{UnitRecord, assess, context};

pub const DROPIN_NAME: &str = "50-strata-harden.conf";

/// A proposed drop-in.
#[derive(Debug, Clone)]
pub struct Suggestion {
    /// Inside the root: `/etc/systemd/system/UNIT.d/50-strata-harden.conf`.
    pub path: String,
    pub text: String,
    pub predicted_tenths: u64,
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
            time: any(&["chrony", "ntp", "timesync", "ptp4l", "phc2sys", "gpsd"]),
            devices: any(&[
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
            ]),
            netconf: any(&[
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
            ]),
            container: any(&[
                "docker",
                "containerd",
                "podman",
                "lxc",
                "lxd",
                "libvirt",
                "qemu",
                "machined",
                "nspawn",
                "runc",
                "crio",
            ]),
        }
    }
}

fn bad(rec: &UnitRecord, field: &str) -> bool {
    rec.checks.iter().any(|c| c.json_field == field && c.badness.is_some_and(|b| b > 0))
}

/// Builds the drop-in for one assessed unit.
pub fn suggest(
    root: &Root,
    files: &UnitFiles,
    parsed: &[(String, Vec<Assignment>)],
    rec: &UnitRecord,
) -> anyhow::Result<Suggestion> {
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut add = |why: &str, directive: String| lines.push((why.to_string(), directive));
    let fragment = files.fragment.display().to_string();
    let names = context::Names { name: &files.name, fragment: &fragment };
    let info = context::build(parsed, &names, root.scope);
    let root_user = matches!(info.user.as_deref(), None | Some("" | "root" | "0")) && !info.dynamic_user;
    let words = |k: &str| -> Vec<String> {
        values(parsed, "Service", k)
            .flat_map(|v| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect()
    };
    let kind = Kind::of(&files.name, values(parsed, "Service", "ExecStart"));
    if kind.container {
        let mut text = String::from("[Service]\n");
        text.push_str("# nothing suggested: a container or virtual machine manager needs namespaces, mounts,\n");
        text.push_str("# devices and capabilities that a generic sandbox would take away\n");
        text.push_str(&format!("# predicted exposure: {:.1} {} (unchanged)\n", rec.exposure, rec.rating));
        let path = format!("/etc/systemd/system/{}.d/{DROPIN_NAME}", files.name);
        return Ok(Suggestion { path, text, predicted_tenths: (rec.exposure * 10.0).round() as u64 });
    }
    let network = kind.netconf
        || values(parsed, "Unit", "After")
            .chain(values(parsed, "Unit", "Wants"))
            .chain(values(parsed, "Unit", "Requires"))
            .any(|v| v.contains("network"))
        || root.unit(&files.name.replace(".service", ".socket")).is_ok();

    if bad(rec, "PrivateTmp") {
        add("a private /tmp and /var/tmp: other services' temporary files are out of reach", "PrivateTmp=yes".into());
    }
    if bad(rec, "NoNewPrivileges") {
        add("setuid binaries and file capabilities cannot raise privileges", "NoNewPrivileges=yes".into());
    }
    if bad(rec, "ProtectSystem") {
        let mut rw: Vec<String> = Vec::new();
        for (key, base) in [
            ("StateDirectory", "/var/lib"),
            ("LogsDirectory", "/var/log"),
            ("RuntimeDirectory", "/run"),
            ("CacheDirectory", "/var/cache"),
        ] {
            for d in words(key) {
                let d = d.split(':').next().unwrap_or(&d).to_string();
                rw.push(format!("{base}/{d}"));
            }
        }
        if rw.is_empty() && words("ReadWritePaths").is_empty() {
            add(
                "/usr, /boot and /etc are read-only (no declared state directories, so not strict)",
                "ProtectSystem=full".into(),
            );
        } else {
            add("the whole file system is read-only except the directories below", "ProtectSystem=strict".into());
            if !rw.is_empty() {
                add(
                    "the StateDirectory=/LogsDirectory=/RuntimeDirectory=/CacheDirectory= the unit declares stay writable",
                    format!("ReadWritePaths={}", rw.join(" ")),
                );
            }
        }
    }
    if bad(rec, "ProtectHome") {
        add("/home, /root and /run/user are read-only", "ProtectHome=read-only".into());
    }
    // A unit that lists the devices it uses (DeviceAllow=) or keeps time needs them visible.
    if bad(rec, "PrivateDevices") && !kind.devices && !kind.time && words("DeviceAllow").is_empty() {
        add("only pseudo devices (/dev/null, /dev/urandom, ...) are visible", "PrivateDevices=yes".into());
    }
    for (field, directive, why) in [
        ("ProtectKernelTunables", "ProtectKernelTunables=yes", "/proc/sys and /sys are read-only"),
        ("ProtectKernelModules", "ProtectKernelModules=yes", "kernel modules cannot be loaded"),
        ("ProtectKernelLogs", "ProtectKernelLogs=yes", "the kernel log ring buffer is out of reach"),
        ("ProtectControlGroups", "ProtectControlGroups=yes", "the cgroup file system is read-only"),
        ("ProtectClock", "ProtectClock=yes", "the system and hardware clocks cannot be set"),
        ("ProtectHostname", "ProtectHostname=yes", "the host name cannot be changed"),
        ("RestrictRealtime", "RestrictRealtime=yes", "no realtime scheduling that could starve the machine"),
        ("RestrictSUIDSGID", "RestrictSUIDSGID=yes", "no setuid/setgid files can be created"),
        ("LockPersonality", "LockPersonality=yes", "the execution domain cannot be changed"),
        ("SystemCallArchitectures", "SystemCallArchitectures=native", "only the native system call ABI"),
    ] {
        let skip = (kind.time && field == "ProtectClock") || (kind.devices && field == "ProtectKernelModules");
        if bad(rec, field) && !skip {
            add(why, directive.into());
        }
    }
    if bad(rec, "ProtectProc") && !root_user {
        add("other users' processes are invisible in /proc", "ProtectProc=invisible".into());
    }
    if rec.checks.iter().any(|c| c.json_field.starts_with("RestrictNamespaces_") && c.badness.is_some_and(|b| b > 0)) {
        add("no new namespaces of any kind", "RestrictNamespaces=yes".into());
    }
    if rec
        .checks
        .iter()
        .any(|c| c.json_field.starts_with("RestrictAddressFamilies_") && c.badness.is_some_and(|b| b > 0))
    {
        if kind.netconf {
            add(
                "it configures the network: local, Internet, netlink and packet sockets",
                "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET".into(),
            );
        } else if network {
            add(
                "local and Internet sockets (it is a network service), netlink for interface queries",
                "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK".into(),
            );
        } else {
            add(
                "local sockets only (it does not look like a network service)",
                "RestrictAddressFamilies=AF_UNIX".into(),
            );
        }
    }
    if rec.checks.iter().any(|c| c.json_field.starts_with("SystemCallFilter_") && c.badness.is_some_and(|b| b > 0))
        && !values(parsed, "Service", "SystemCallFilter").any(|_| true)
    {
        add("the system calls ordinary services use", "SystemCallFilter=@system-service".into());
        if root_user || kind.time || kind.devices {
            let groups: Vec<&str> =
                ["@clock", "@cpu-emulation", "@debug", "@module", "@mount", "@obsolete", "@raw-io", "@reboot", "@swap"]
                    .into_iter()
                    .filter(|g| {
                        !(kind.time && *g == "@clock") && !(kind.devices && (*g == "@raw-io" || *g == "@module"))
                    })
                    .collect();
            add(
                "no system calls a root service never needs (it may still change user and ownership)",
                format!("SystemCallFilter=~{}", groups.join(" ")),
            );
        } else {
            add(
                "no privileged or resource-changing system calls (it runs as its own user)",
                "SystemCallFilter=~@privileged @resources @obsolete @cpu-emulation @debug @mount".into(),
            );
        }
    }
    if !root_user {
        if bad(rec, "RemoveIPC") {
            add("its System V IPC objects are removed when it stops", "RemoveIPC=yes".into());
        }
        if rec
            .checks
            .iter()
            .any(|c| c.json_field.starts_with("CapabilityBoundingSet_") && c.badness.is_some_and(|b| b > 0))
            && words("AmbientCapabilities").is_empty()
            && !kind.time
            && !kind.netconf
        {
            add(
                "it runs as its own user and is given no capabilities, so it needs none",
                "CapabilityBoundingSet=".into(),
            );
        }
    } else if rec
        .checks
        .iter()
        .any(|c| c.json_field.starts_with("CapabilityBoundingSet_") && c.badness.is_some_and(|b| b > 0))
    {
        let caps: Vec<&str> = [
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
        ]
        .into_iter()
        .filter(|c| !(kind.time && (*c == "CAP_SYS_TIME" || *c == "CAP_WAKE_ALARM")))
        .filter(|c| {
            !(kind.devices
                && (*c == "CAP_SYS_RAWIO" || *c == "CAP_MKNOD" || *c == "CAP_SYS_ADMIN" || *c == "CAP_SYS_MODULE"))
        })
        .filter(|c| !(kind.netconf && *c == "CAP_NET_ADMIN"))
        .collect();
        add(
            "drops the capabilities a root daemon does not use (it keeps those to change user, bind ports and read files)",
            format!("CapabilityBoundingSet=~{}", caps.join(" ")),
        );
    }

    // Keep each directive only when it does not raise the exposure given those kept before it
    // (e.g. an address family added to a unit's own, narrower allow list would).
    let path = format!("/etc/systemd/system/{}.d/{DROPIN_NAME}", files.name);
    let predict = |kept: &[&(String, String)]| -> anyhow::Result<u64> {
        let mut text = String::from("[Service]\n");
        for (_, d) in kept {
            text.push_str(d);
            text.push('\n');
        }
        let extra = parse::parse(text.as_bytes(), &["Unit", "Service", "Install"])
            .map_err(|e| anyhow::anyhow!("suggested drop-in does not parse: {e}"))?;
        let mut all: Vec<(String, Vec<Assignment>)> = parsed.iter().filter(|(p, _)| *p != path).cloned().collect();
        all.push((path.clone(), extra.assignments));
        let predicted = context::build(&all, &names, root.scope);
        Ok(assess::exposure_tenths(&assess::assess(&predicted)))
    };
    let mut kept: Vec<&(String, String)> = Vec::new();
    let mut predicted_tenths = predict(&kept)?;
    for line in &lines {
        kept.push(line);
        let t = predict(&kept)?;
        if t <= predicted_tenths {
            predicted_tenths = t;
        } else {
            kept.pop();
        }
    }
    let mut text = String::from("[Service]\n");
    if kept.is_empty() {
        text.push_str("# nothing to add: the remaining exposure needs choices only the service's owner can make\n");
    }
    for (why, directive) in &kept {
        text.push_str(&format!("# {why}\n{directive}\n"));
    }
    text.push_str(&format!(
        "# predicted exposure: {} {} (now {:.1} {})\n",
        assess::tenths(predicted_tenths),
        assess::rating(predicted_tenths),
        rec.exposure,
        rec.rating
    ));
    Ok(Suggestion { path, text, predicted_tenths })
}
