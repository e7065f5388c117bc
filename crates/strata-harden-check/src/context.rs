//! The settings systemd 252's security assessment reads, built from a unit's assignments the way
//! its config parsers and `unit_patch_contexts()` build them (empty assignments reset lists,
//! invalid values are ignored with a warning, DynamicUser= and PrivateDevices= imply others).

use std::collections::{BTreeSet, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::choices::{
    BoolChoice, Choice, DevicePolicy, KeyringMode, KillMode, NotifyAccess, ProcSubset, ProtectHome, ProtectProc,
    ProtectSystem, Restart, ServiceType,
};
use crate::load::Scope;
use crate::parse::Assignment;
use crate::syscalls;

pub const CAP_MASK_ALL: u64 = u64::MAX;

pub const CAPS: &[&str] = &[
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

/// The bit of a capability by name (`CAP_SYS_ADMIN`, case-insensitive).
pub fn cap(name: &str) -> u64 {
    CAPS.iter().position(|c| c.eq_ignore_ascii_case(name)).map_or(0, |i| 1 << i)
}

/// The bit of a capability by its exact lower-case name, for tables: a name not in [`CAPS`]
/// does not compile.
pub const fn cap_bit(name: &str) -> u64 {
    let mut i = 0;
    while i < CAPS.len() {
        if CAPS[i].len() == name.len() {
            let (a, b) = (CAPS[i].as_bytes(), name.as_bytes());
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return 1 << i;
            }
        }
        i += 1;
    }
    panic!("not a capability name")
}

pub const CLONE_NEWNS: u64 = 0x0002_0000;
pub const CLONE_NEWCGROUP: u64 = 0x0200_0000;
pub const CLONE_NEWUTS: u64 = 0x0400_0000;
pub const CLONE_NEWIPC: u64 = 0x0800_0000;
pub const CLONE_NEWUSER: u64 = 0x1000_0000;
pub const CLONE_NEWPID: u64 = 0x2000_0000;
pub const CLONE_NEWNET: u64 = 0x4000_0000;
const NS_ALL: u64 =
    CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;
const NS_INITIAL: u64 = u64::MAX;
const NAMESPACES: &[(&str, u64)] = &[
    ("cgroup", CLONE_NEWCGROUP),
    ("ipc", CLONE_NEWIPC),
    ("net", CLONE_NEWNET),
    ("mnt", CLONE_NEWNS),
    ("pid", CLONE_NEWPID),
    ("user", CLONE_NEWUSER),
    ("uts", CLONE_NEWUTS),
];

/// Address families systemd knows by name (Linux `AF_*`).
const FAMILIES: &[&str] = &[
    "AF_UNIX",
    "AF_INET",
    "AF_AX25",
    "AF_IPX",
    "AF_APPLETALK",
    "AF_NETROM",
    "AF_BRIDGE",
    "AF_ATMPVC",
    "AF_X25",
    "AF_INET6",
    "AF_ROSE",
    "AF_DECnet",
    "AF_NETBEUI",
    "AF_SECURITY",
    "AF_KEY",
    "AF_NETLINK",
    "AF_PACKET",
    "AF_ASH",
    "AF_ECONET",
    "AF_ATMSVC",
    "AF_RDS",
    "AF_SNA",
    "AF_IRDA",
    "AF_PPPOX",
    "AF_WANPIPE",
    "AF_LLC",
    "AF_IB",
    "AF_MPLS",
    "AF_CAN",
    "AF_TIPC",
    "AF_BLUETOOTH",
    "AF_IUCV",
    "AF_RXRPC",
    "AF_ISDN",
    "AF_PHONET",
    "AF_IEEE802154",
    "AF_CAIF",
    "AF_ALG",
    "AF_NFC",
    "AF_VSOCK",
    "AF_KCM",
    "AF_QIPCRTR",
    "AF_SMC",
    "AF_XDP",
    "AF_MCTP",
];

const ARCHS: &[&str] = &[
    "native",
    "x86",
    "x86-64",
    "x32",
    "arm",
    "arm64",
    "loongarch64",
    "mips",
    "mips64",
    "mips64-n32",
    "mipsel",
    "mipsel64",
    "mipsel64-n32",
    "parisc",
    "parisc64",
    "ppc",
    "ppc64",
    "ppc64-le",
    "riscv64",
    "s390",
    "s390x",
];

/// One IPAddressAllow=/IPAddressDeny= entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpPrefix {
    pub v6: bool,
    pub addr: u128,
    pub prefixlen: u8,
}

impl IpPrefix {
    fn is_localhost(&self) -> bool {
        if self.v6 { self.addr == 1 } else { (self.addr as u32) >> 24 == 127 }
    }
}

/// What the assessment looks at, after loading.
#[derive(Debug, Clone)]
pub struct SecurityInfo {
    pub default_dependencies: bool,
    pub service_type: Option<ServiceType>,
    pub exec_start: usize,
    pub exec_stop: usize,
    pub success_action: bool,
    pub remain_after_exit: bool,
    pub bus_name: bool,
    pub pam_name: bool,
    pub kill_mode: KillMode,
    pub restart: Restart,
    pub notify_access: Option<NotifyAccess>,

    pub ambient_capabilities: u64,
    pub capability_bounding_set: u64,
    pub user: Option<String>,
    pub supplementary_groups: Vec<String>,
    pub dynamic_user: bool,
    pub keyring_mode: KeyringMode,
    pub protect_proc: ProtectProc,
    pub proc_subset: ProcSubset,
    pub lock_personality: bool,
    pub memory_deny_write_execute: bool,
    pub no_new_privileges: bool,
    pub protect_hostname: bool,
    pub private_devices: bool,
    pub private_mounts: bool,
    pub private_network: bool,
    pub private_tmp: bool,
    pub private_users: bool,
    pub protect_control_groups: bool,
    pub protect_kernel_modules: bool,
    pub protect_kernel_tunables: bool,
    pub protect_kernel_logs: bool,
    pub protect_clock: bool,
    pub protect_home: ProtectHome,
    pub protect_system: ProtectSystem,
    pub remove_ipc: bool,
    /// `None`: no RestrictAddressFamilies= (or reset); `Some` with the allow flag below.
    pub address_families: Option<BTreeSet<String>>,
    pub address_families_allow_list: bool,
    pub restrict_namespaces: u64,
    pub restrict_realtime: bool,
    pub restrict_suid_sgid: bool,
    pub root_directory: Option<String>,
    pub root_image: Option<String>,
    pub mount_images: bool,
    pub umask: u32,
    pub syscall_archs: BTreeSet<String>,
    pub syscall_filter: Option<HashSet<u32>>,
    pub syscall_allow_list: bool,
    pub encrypted_credentials: bool,

    pub delegate: bool,
    pub device_policy: DevicePolicy,
    pub device_allow: Vec<(String, String)>,
    pub ip_deny: Vec<IpPrefix>,
    pub ip_allow: Vec<IpPrefix>,
    pub ip_ingress_filters: bool,
    pub ip_egress_filters: bool,

    /// Warnings about values systemd ignores (file:line: what).
    pub warnings: Vec<String>,
    /// A setting systemd treats as a fatal error (the unit does not load).
    pub fatal: Option<String>,
}

impl SecurityInfo {
    fn new(scope: Scope) -> SecurityInfo {
        SecurityInfo {
            default_dependencies: true,
            service_type: None,
            exec_start: 0,
            exec_stop: 0,
            success_action: false,
            remain_after_exit: false,
            bus_name: false,
            pam_name: false,
            kill_mode: KillMode::ControlGroup,
            restart: Restart::No,
            notify_access: None,
            ambient_capabilities: 0,
            capability_bounding_set: CAP_MASK_ALL,
            user: None,
            supplementary_groups: Vec::new(),
            dynamic_user: false,
            keyring_mode: match scope {
                Scope::System => KeyringMode::Private,
                Scope::User => KeyringMode::Inherit,
            },
            protect_proc: ProtectProc::Default,
            proc_subset: ProcSubset::All,
            lock_personality: false,
            memory_deny_write_execute: false,
            no_new_privileges: false,
            protect_hostname: false,
            private_devices: false,
            private_mounts: false,
            private_network: false,
            private_tmp: false,
            private_users: false,
            protect_control_groups: false,
            protect_kernel_modules: false,
            protect_kernel_tunables: false,
            protect_kernel_logs: false,
            protect_clock: false,
            protect_home: ProtectHome::No,
            protect_system: ProtectSystem::No,
            remove_ipc: false,
            address_families: None,
            address_families_allow_list: false,
            restrict_namespaces: NS_INITIAL,
            restrict_realtime: false,
            restrict_suid_sgid: false,
            root_directory: None,
            root_image: None,
            mount_images: false,
            umask: 0o022,
            syscall_archs: BTreeSet::new(),
            syscall_filter: None,
            syscall_allow_list: false,
            encrypted_credentials: false,
            delegate: false,
            device_policy: DevicePolicy::Auto,
            device_allow: Vec::new(),
            ip_deny: Vec::new(),
            ip_allow: Vec::new(),
            ip_ingress_filters: false,
            ip_egress_filters: false,
            warnings: Vec::new(),
            fatal: None,
        }
    }

    /// The RestrictAddressFamilies= verdicts: (inet, unix, netlink, packet, other) restricted.
    pub fn families_restricted(&self) -> [bool; 5] {
        let allow = self.address_families_allow_list;
        let mut r = [allow; 5];
        for f in self.address_families.iter().flatten() {
            let i = match f.as_str() {
                "AF_INET" | "AF_INET6" => 0,
                "AF_UNIX" => 1,
                "AF_NETLINK" => 2,
                "AF_PACKET" => 3,
                _ => 4,
            };
            r[i] = !allow;
        }
        r
    }

    pub fn ip_deny_all(&self) -> bool {
        let v4 = self.ip_deny.iter().any(|p| !p.v6 && p.prefixlen == 0);
        let v6 = self.ip_deny.iter().any(|p| p.v6 && p.prefixlen == 0);
        v4 && v6
    }

    pub fn ip_allow_localhost(&self) -> bool {
        self.ip_allow.iter().any(IpPrefix::is_localhost)
    }

    pub fn ip_allow_other(&self) -> bool {
        self.ip_allow.iter().any(|p| !p.is_localhost())
    }
}

/// Names the specifiers expand from.
pub struct Names<'a> {
    /// The unit's full name (`foo@bar.service`).
    pub name: &'a str,
    pub fragment: &'a str,
}

fn unescape(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'-' {
            out.push(b'/');
        } else if b[i] == b'\\' && i + 3 < b.len() && b[i + 1] == b'x' {
            if let Ok(v) = u8::from_str_radix(&s[i + 2..i + 4], 16) {
                out.push(v);
                i += 4;
                continue;
            }
            out.push(b[i]);
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Expands `%` specifiers; `None` for an unknown one (systemd then ignores the setting).
pub fn expand(s: &str, n: &Names<'_>, scope: Scope) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_string());
    }
    let (stem, _) = n.name.rsplit_once('.').unwrap_or((n.name, ""));
    let (prefix, instance) = match stem.split_once('@') {
        Some((p, i)) => (p, i),
        None => (stem, ""),
    };
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let spec = it.next()?;
        let v: String = match spec {
            '%' => "%".into(),
            'n' => n.name.into(),
            'N' => stem.into(),
            'p' => prefix.into(),
            'P' => unescape(prefix),
            'i' => instance.into(),
            'I' => unescape(instance),
            'j' => prefix.rsplit('-').next().unwrap_or(prefix).into(),
            'J' => unescape(prefix.rsplit('-').next().unwrap_or(prefix)),
            'f' => format!("/{}", unescape(if instance.is_empty() { prefix } else { instance })),
            'y' => n.fragment.into(),
            'Y' => n.fragment.rsplit_once('/').map_or("", |(d, _)| d).into(),
            'd' => format!("/run/credentials/{}", n.name),
            'E' => {
                if scope == Scope::System {
                    "/etc".into()
                } else {
                    "/root/.config".into()
                }
            }
            't' => "/run".into(),
            'S' => "/var/lib".into(),
            'C' => "/var/cache".into(),
            'L' => "/var/log".into(),
            'T' => "/tmp".into(),
            'V' => "/var/tmp".into(),
            'h' => "/root".into(),
            's' => "/bin/sh".into(),
            'u' | 'g' => "root".into(),
            'U' | 'G' => "0".into(),
            'm' | 'b' | 'H' | 'l' | 'q' | 'v' | 'a' | 'o' | 'w' | 'B' | 'W' | 'M' | 'A' => "x".into(),
            _ => return None,
        };
        out.push_str(&v);
    }
    Some(out)
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Some(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Some(false),
        _ => None,
    }
}

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split_whitespace().map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string())
}

/// A user or group name systemd accepts in relaxed mode (or a numeric ID).
fn valid_user(u: &str) -> bool {
    if u.is_empty() {
        return false;
    }
    if u.parse::<u32>().is_ok() {
        return u.parse::<u32>().is_ok_and(|n| n != u32::MAX && n != 65535);
    }
    !(u.starts_with('-')
        || u.contains(':')
        || u.contains('/')
        || u == "."
        || u == ".."
        || u.chars().any(|c| c.is_control())
        || u.starts_with(char::is_whitespace)
        || u.ends_with(char::is_whitespace))
}

fn parse_ip(word: &str) -> Option<Vec<IpPrefix>> {
    let full = |a: &str| -> Option<IpPrefix> {
        let (addr, len) = match a.split_once('/') {
            Some((x, l)) => (x, Some(l.parse::<u8>().ok()?)),
            None => (a, None),
        };
        if let Ok(v4) = addr.parse::<Ipv4Addr>() {
            let len = len.unwrap_or(32);
            if len > 32 {
                return None;
            }
            let mask: u32 = if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len)) };
            return Some(IpPrefix { v6: false, addr: u128::from(u32::from(v4) & mask), prefixlen: len });
        }
        let v6 = addr.parse::<Ipv6Addr>().ok()?;
        let len = len.unwrap_or(128);
        if len > 128 {
            return None;
        }
        let mask: u128 = if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len)) };
        Some(IpPrefix { v6: true, addr: u128::from(v6) & mask, prefixlen: len })
    };
    let pair = |a: &str, b: &str| Some(vec![full(a)?, full(b)?]);
    match word {
        "any" => pair("0.0.0.0/0", "::/0"),
        "localhost" => pair("127.0.0.0/8", "::1/128"),
        "link-local" => pair("169.254.0.0/16", "fe80::/64"),
        "multicast" => pair("224.0.0.0/4", "ff00::/8"),
        w => full(w).map(|p| vec![p]),
    }
}

/// How many commands an `Exec*=` line holds: commands are separated by a lone `;`, and one
/// whose path is empty once the `-@:+!` prefixes are taken off is ignored.
fn commands(v: &str) -> usize {
    let mut n = 0;
    let mut first = true;
    for (word, bare) in exec_words(v) {
        if bare && word == ";" {
            first = true;
            continue;
        }
        if first {
            first = false;
            if !word.trim_start_matches(['-', '@', ':', '+', '!']).is_empty() {
                n += 1;
            }
        }
    }
    n
}

/// Splits a command line into words: quotes group, a backslash escapes the next character.
/// The flag says whether the word was written without quotes or escapes.
fn exec_words(v: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut chars = v.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return out;
        }
        let (mut word, mut bare, mut quote) = (String::new(), true, None::<char>);
        while let Some(c) = chars.next() {
            match (quote, c) {
                (None, c) if c.is_whitespace() => break,
                (None, '\'' | '"') => {
                    quote = Some(c);
                    bare = false;
                }
                (Some(q), c) if c == q => quote = None,
                (_, '\\') => {
                    bare = false;
                    if let Some(n) = chars.next() {
                        word.push(n);
                    }
                }
                (_, c) => word.push(c),
            }
        }
        out.push((word, bare));
    }
}

/// Adds a system call or a group to the filter as `seccomp_parse_syscall_filter()` does.
fn syscall_filter_add(filter: &mut HashSet<u32>, name: &str, invert: bool, allow_list: bool, depth: u8) {
    if let Some(members) = name.strip_prefix('@').and(syscalls::group(name)) {
        if depth < 8 {
            for m in members {
                syscall_filter_add(filter, m, invert, allow_list, depth + 1);
            }
        }
        return;
    }
    let Some(id) = syscalls::resolve(name) else {
        return;
    };
    if invert != allow_list {
        filter.insert(id);
    } else {
        filter.remove(&id);
    }
}

/// Builds the settings from the assignments of a unit's fragment and drop-ins, in order.
/// `files` pairs each display path with its assignments.
pub fn build(files: &[(String, Vec<Assignment>)], names: &Names<'_>, scope: Scope) -> SecurityInfo {
    let mut c = SecurityInfo::new(scope);
    for (file, assignments) in files {
        for a in assignments {
            apply(&mut c, a, file, names, scope);
        }
    }
    patch(&mut c, names);
    c
}

struct Ctx<'a> {
    file: &'a str,
    line: usize,
    key: &'a str,
    warnings: Vec<String>,
}

impl Ctx<'_> {
    fn warn(&mut self, msg: impl std::fmt::Display) {
        self.warnings.push(format!("{}:{}: {}: {msg}", self.file, self.line, self.key));
    }
    fn fatal(&mut self, slot: &mut Option<String>, msg: impl std::fmt::Display) {
        if slot.is_none() {
            *slot = Some(format!("{}:{}: {}: {msg}", self.file, self.line, self.key));
        }
    }
    fn boolean(&mut self, v: &str, field: &mut bool) {
        match parse_bool(v) {
            Some(b) => *field = b,
            None => self.warn(format_args!("failed to parse boolean value, ignoring: {v}")),
        }
    }
    /// One word of a fixed list; any other value is ignored with a warning.
    fn choice<T: Choice>(&mut self, v: &str) -> Option<T> {
        let c = T::from_word(v);
        if c.is_none() {
            self.warn(format_args!("invalid value, ignoring: {v}"));
        }
        c
    }
    /// An enum that also takes booleans (ProtectHome=, ProtectSystem=); an empty value is ignored.
    fn bool_choice<T: BoolChoice>(&mut self, v: &str, field: &mut T) {
        if let Some(b) = parse_bool(v) {
            *field = if b { T::YES } else { T::NO };
        } else if let Some(c) = self.choice(v) {
            *field = c;
        }
    }
}

fn capability_set(v: &str, initial: u64, set: &mut u64) {
    let (invert, rest) = match v.strip_prefix('~') {
        Some(r) => (true, r),
        None => (false, v),
    };
    let mut sum = 0u64;
    for w in words(rest) {
        if let Ok(n) = w.parse::<u32>() {
            if n < 64 {
                sum |= 1 << n;
            }
        } else {
            sum |= cap(&w);
        }
    }
    if sum == 0 || *set == initial {
        *set = if invert { !sum } else { sum };
    } else if invert {
        *set &= !sum;
    } else {
        *set |= sum;
    }
}

fn apply(c: &mut SecurityInfo, a: &Assignment, file: &str, names: &Names<'_>, scope: Scope) {
    let v = a.value.as_str();
    let mut x = Ctx { file, line: a.line, key: &a.key, warnings: Vec::new() };
    if a.section == "Unit" {
        match a.key.as_str() {
            "DefaultDependencies" => x.boolean(v, &mut c.default_dependencies),
            "SuccessAction" => c.success_action = !v.is_empty() && v != "none",
            _ => {}
        }
    } else if a.section == "Service" {
        apply_service(c, &mut x, a.key.as_str(), v, names, scope);
    }
    c.warnings.extend(x.warnings);
}

fn apply_service(c: &mut SecurityInfo, x: &mut Ctx<'_>, key: &str, v: &str, names: &Names<'_>, scope: Scope) {
    match key {
        "Type" => {
            if let Some(t) = x.choice(v) {
                c.service_type = Some(t);
            }
        }
        "ExecStart" | "ExecStop" | "ExecStartPre" | "ExecStartPost" | "ExecStopPost" | "ExecReload"
        | "ExecCondition" => exec(c, x, key, v, names, scope),
        "RemainAfterExit" => x.boolean(v, &mut c.remain_after_exit),
        "BusName" => c.bus_name = !v.is_empty(),
        "PAMName" => c.pam_name = !v.is_empty(),
        "KillMode" => c.kill_mode = x.choice(v).unwrap_or(c.kill_mode),
        "Restart" => c.restart = x.choice(v).unwrap_or(c.restart),
        "NotifyAccess" => {
            if let Some(n) = x.choice(v) {
                c.notify_access = Some(n);
            }
        }
        "User" => user(c, x, v, names, scope),
        "DynamicUser" => x.boolean(v, &mut c.dynamic_user),
        "SupplementaryGroups" => supplementary_groups(c, x, v, names, scope),
        "CapabilityBoundingSet" => capability_set(v, CAP_MASK_ALL, &mut c.capability_bounding_set),
        "AmbientCapabilities" => capability_set(v, 0, &mut c.ambient_capabilities),
        "KeyringMode" => c.keyring_mode = x.choice(v).unwrap_or(c.keyring_mode),
        "ProtectProc" => c.protect_proc = x.choice(v).unwrap_or(c.protect_proc),
        "ProcSubset" => c.proc_subset = x.choice(v).unwrap_or(c.proc_subset),
        "LockPersonality" => x.boolean(v, &mut c.lock_personality),
        "MemoryDenyWriteExecute" => x.boolean(v, &mut c.memory_deny_write_execute),
        "NoNewPrivileges" => x.boolean(v, &mut c.no_new_privileges),
        "ProtectHostname" => x.boolean(v, &mut c.protect_hostname),
        "PrivateDevices" => x.boolean(v, &mut c.private_devices),
        "PrivateMounts" => x.boolean(v, &mut c.private_mounts),
        "PrivateNetwork" => x.boolean(v, &mut c.private_network),
        "PrivateTmp" => x.boolean(v, &mut c.private_tmp),
        "PrivateUsers" => x.boolean(v, &mut c.private_users),
        "ProtectControlGroups" => x.boolean(v, &mut c.protect_control_groups),
        "ProtectKernelModules" => x.boolean(v, &mut c.protect_kernel_modules),
        "ProtectKernelTunables" => x.boolean(v, &mut c.protect_kernel_tunables),
        "ProtectKernelLogs" => x.boolean(v, &mut c.protect_kernel_logs),
        "ProtectClock" => x.boolean(v, &mut c.protect_clock),
        "ProtectHome" => x.bool_choice(v, &mut c.protect_home),
        "ProtectSystem" => x.bool_choice(v, &mut c.protect_system),
        "RemoveIPC" => x.boolean(v, &mut c.remove_ipc),
        "RestrictRealtime" => x.boolean(v, &mut c.restrict_realtime),
        "RestrictSUIDSGID" => x.boolean(v, &mut c.restrict_suid_sgid),
        "Delegate" => {
            // An empty value means "delegate, with no controllers".
            c.delegate = v.is_empty() || parse_bool(v).unwrap_or(true);
        }
        "RestrictAddressFamilies" => address_families(c, x, v),
        "RestrictNamespaces" => namespaces(c, x, v),
        "RootDirectory" | "RootImage" => root_path(c, x, key, v, names, scope),
        "MountImages" => c.mount_images = !v.is_empty(),
        "UMask" => match u32::from_str_radix(v, 8) {
            Ok(m) if m <= 0o7777 => c.umask = m,
            _ => x.warn(format_args!("failed to parse mode, ignoring: {v}")),
        },
        "SystemCallArchitectures" => archs(c, x, v),
        "SystemCallFilter" => syscall_filter(c, x, v),
        "LoadCredentialEncrypted" | "SetCredentialEncrypted" if !v.is_empty() => c.encrypted_credentials = true,
        "DevicePolicy" => c.device_policy = x.choice(v).unwrap_or(c.device_policy),
        "DeviceAllow" => device_allow(c, x, v, names, scope),
        "IPAddressDeny" | "IPAddressAllow" => ip_list(c, x, key, v),
        "IPIngressFilterPath" | "IPEgressFilterPath" => {
            let slot = if key == "IPIngressFilterPath" { &mut c.ip_ingress_filters } else { &mut c.ip_egress_filters };
            *slot = !v.is_empty();
        }
        _ => {}
    }
}

/// An `Exec*=` line: counts ExecStart= and ExecStop= commands; an empty one resets the count.
fn exec(c: &mut SecurityInfo, x: &mut Ctx<'_>, key: &str, v: &str, names: &Names<'_>, scope: Scope) {
    if v.is_empty() {
        match key {
            "ExecStart" => c.exec_start = 0,
            "ExecStop" => c.exec_stop = 0,
            _ => {}
        }
        return;
    }
    if expand(v, names, scope).is_none() {
        x.fatal(&mut c.fatal, format_args!("failed to resolve unit specifiers in {v}"));
        return;
    }
    let n = commands(v);
    if n == 0 {
        x.warn(format_args!("empty path in command line, ignoring: {v}"));
    }
    match key {
        "ExecStart" => c.exec_start += n,
        "ExecStop" => c.exec_stop += n,
        _ => {}
    }
}

/// User=: a name or ID systemd accepts, or a fatal error.
fn user(c: &mut SecurityInfo, x: &mut Ctx<'_>, v: &str, names: &Names<'_>, scope: Scope) {
    if v.is_empty() {
        c.user = None;
    } else {
        match expand(v, names, scope) {
            Some(u) if valid_user(&u) => c.user = Some(u),
            Some(u) => x.fatal(&mut c.fatal, format_args!("invalid user name or numeric ID: {u}")),
            None => x.fatal(&mut c.fatal, format_args!("failed to resolve unit specifiers in {v}")),
        }
    }
}

/// SupplementaryGroups=: names or IDs systemd accepts, or a fatal error; empty resets.
fn supplementary_groups(c: &mut SecurityInfo, x: &mut Ctx<'_>, v: &str, names: &Names<'_>, scope: Scope) {
    if v.is_empty() {
        c.supplementary_groups.clear();
    }
    for w in words(v) {
        match expand(&w, names, scope) {
            Some(g) if valid_user(&g) => c.supplementary_groups.push(g),
            Some(g) => x.fatal(&mut c.fatal, format_args!("invalid group name or numeric ID: {g}")),
            None => x.fatal(&mut c.fatal, format_args!("failed to resolve unit specifiers in {w}")),
        }
    }
}

/// RestrictAddressFamilies=: the first assignment decides allow or deny list, `~` inverts.
fn address_families(c: &mut SecurityInfo, x: &mut Ctx<'_>, v: &str) {
    if v.is_empty() {
        c.address_families = None;
        c.address_families_allow_list = false;
        return;
    }
    if v == "none" {
        c.address_families = None;
        c.address_families_allow_list = true;
        return;
    }
    let (invert, rest) = match v.strip_prefix('~') {
        Some(r) => (true, r),
        None => (false, v),
    };
    if c.address_families.is_none() {
        c.address_families = Some(BTreeSet::new());
        c.address_families_allow_list = !invert;
    }
    let allow = c.address_families_allow_list;
    for w in words(rest) {
        let w = match w.as_str() {
            "AF_LOCAL" | "AF_FILE" => "AF_UNIX".to_string(),
            "AF_ROUTE" => "AF_NETLINK".to_string(),
            _ => w,
        };
        if !FAMILIES.contains(&w.as_str()) {
            x.warn(format_args!("unknown address family, ignoring: {w}"));
            continue;
        }
        if let Some(set) = c.address_families.as_mut() {
            if invert != allow {
                set.insert(w);
            } else {
                set.remove(&w);
            }
        }
    }
}

/// RestrictNamespaces=: a boolean or namespace types, `~` inverts; empty resets.
fn namespaces(c: &mut SecurityInfo, x: &mut Ctx<'_>, v: &str) {
    if v.is_empty() {
        c.restrict_namespaces = NS_INITIAL;
        return;
    }
    let (invert, rest) = match v.strip_prefix('~') {
        Some(r) => (true, r),
        None => (false, v),
    };
    match parse_bool(rest) {
        Some(true) => c.restrict_namespaces = 0,
        Some(false) => c.restrict_namespaces = NS_ALL,
        None => {
            let mut flags = 0;
            for w in words(rest) {
                match NAMESPACES.iter().find(|(n, _)| *n == w) {
                    Some((_, f)) => flags |= f,
                    None => {
                        x.warn(format_args!("failed to parse namespace type string, ignoring: {rest}"));
                        return;
                    }
                }
            }
            if c.restrict_namespaces == NS_INITIAL {
                c.restrict_namespaces = if invert { !flags & NS_ALL } else { flags };
            } else if invert {
                c.restrict_namespaces &= !flags;
            } else {
                c.restrict_namespaces |= flags;
            }
        }
    }
}

/// RootDirectory=, RootImage=: an absolute path; empty resets.
fn root_path(c: &mut SecurityInfo, x: &mut Ctx<'_>, key: &str, v: &str, names: &Names<'_>, scope: Scope) {
    let slot = if key == "RootDirectory" { &mut c.root_directory } else { &mut c.root_image };
    if v.is_empty() {
        *slot = None;
    } else {
        match expand(v, names, scope) {
            Some(p) if p.starts_with('/') => *slot = Some(p),
            _ => x.warn(format_args!("not an absolute path, ignoring: {v}")),
        }
    }
}

/// SystemCallArchitectures=: known architecture names; empty resets.
fn archs(c: &mut SecurityInfo, x: &mut Ctx<'_>, v: &str) {
    if v.is_empty() {
        c.syscall_archs.clear();
    }
    for w in words(v) {
        if ARCHS.contains(&w.as_str()) {
            c.syscall_archs.insert(w);
        } else {
            x.warn(format_args!("failed to parse system call architecture, ignoring: {w}"));
        }
    }
}

/// SystemCallFilter=: the first assignment decides allow or deny list (an allow list starts
/// from @default), `~` inverts; empty resets.
fn syscall_filter(c: &mut SecurityInfo, x: &mut Ctx<'_>, v: &str) {
    if v.is_empty() {
        c.syscall_filter = None;
        c.syscall_allow_list = false;
        return;
    }
    let (invert, rest) = match v.strip_prefix('~') {
        Some(r) => (true, r),
        None => (false, v),
    };
    if c.syscall_filter.is_none() {
        let mut f = HashSet::new();
        c.syscall_allow_list = !invert;
        if !invert {
            syscall_filter_add(&mut f, "@default", false, true, 0);
        }
        c.syscall_filter = Some(f);
    }
    let allow = c.syscall_allow_list;
    for w in words(rest) {
        let (name, errno) = match w.split_once(':') {
            Some((n, _)) => (n.to_string(), true),
            None => (w.clone(), false),
        };
        if !invert && errno {
            x.warn(format_args!("allow-listed system calls cannot take an error number, ignoring: {w}"));
            continue;
        }
        if let Some(f) = c.syscall_filter.as_mut() {
            syscall_filter_add(f, &name, invert, allow, 0);
        }
    }
}

/// DeviceAllow=: a device node or class and its rights; empty resets.
fn device_allow(c: &mut SecurityInfo, x: &mut Ctx<'_>, v: &str, names: &Names<'_>, scope: Scope) {
    if v.is_empty() {
        c.device_allow.clear();
        return;
    }
    let mut it = v.split_whitespace();
    let path = it.next().unwrap_or("");
    let perms = it.next().unwrap_or("rwm");
    let Some(path) = expand(path, names, scope) else {
        x.warn(format_args!("failed to resolve specifiers, ignoring: {v}"));
        return;
    };
    let ok_path = path.starts_with("/dev/") || path.starts_with("char-") || path.starts_with("block-");
    if !ok_path || perms.is_empty() || !perms.chars().all(|ch| "rwm".contains(ch)) {
        x.warn(format_args!("invalid device node or rights, ignoring: {v}"));
        return;
    }
    add_device(&mut c.device_allow, &path, perms);
}

/// IPAddressDeny=, IPAddressAllow=: address prefixes; empty resets.
fn ip_list(c: &mut SecurityInfo, x: &mut Ctx<'_>, key: &str, v: &str) {
    let list = if key == "IPAddressDeny" { &mut c.ip_deny } else { &mut c.ip_allow };
    if v.is_empty() {
        list.clear();
        return;
    }
    for w in words(v) {
        match parse_ip(&w) {
            Some(ps) => list.extend(ps),
            None => x.warn(format_args!("invalid IP address prefix, ignoring: {w}")),
        }
    }
}

fn add_device(list: &mut Vec<(String, String)>, path: &str, perms: &str) {
    // systemd prepends each entry to its list.
    list.insert(0, (path.to_string(), "rwm".chars().filter(|ch| perms.contains(*ch)).collect()));
}

/// What systemd derives after loading (`unit_patch_contexts()` and service defaults).
fn patch(c: &mut SecurityInfo, names: &Names<'_>) {
    if c.service_type.is_none() {
        c.service_type = Some(if c.bus_name {
            ServiceType::Dbus
        } else if c.exec_start > 0 {
            ServiceType::Simple
        } else {
            ServiceType::Oneshot
        });
    }
    if c.private_devices {
        c.capability_bounding_set &= !(cap("cap_mknod") | cap("cap_sys_rawio"));
    }
    if c.protect_kernel_modules {
        c.capability_bounding_set &= !cap("cap_sys_module");
    }
    if c.protect_kernel_logs {
        c.capability_bounding_set &= !cap("cap_syslog");
    }
    if c.protect_clock {
        c.capability_bounding_set &= !(cap("cap_sys_time") | cap("cap_wake_alarm"));
    }
    if c.dynamic_user {
        if c.user.is_none() {
            let stem = names.name.rsplit_once('.').map_or(names.name, |(s, _)| s);
            let prefix = stem.split_once('@').map_or(stem, |(p, _)| p);
            c.user = Some(prefix.to_string());
        }
        c.private_tmp = true;
        c.remove_ipc = true;
        c.protect_system = ProtectSystem::Strict;
        if c.protect_home == ProtectHome::No {
            c.protect_home = ProtectHome::ReadOnly;
        }
        c.no_new_privileges = true;
        c.restrict_suid_sgid = true;
    }
    if c.private_devices && c.device_policy == DevicePolicy::Auto {
        c.device_policy = DevicePolicy::Closed;
    }
    if c.device_policy != DevicePolicy::Auto || !c.device_allow.is_empty() {
        if c.root_image.is_some() || c.mount_images {
            add_device(&mut c.device_allow, "/dev/loop-control", "rw");
            add_device(&mut c.device_allow, "/dev/mapper/control", "rw");
            add_device(&mut c.device_allow, "block-loop", "rwm");
            add_device(&mut c.device_allow, "block-blkext", "rwm");
            add_device(&mut c.device_allow, "block-device-mapper", "rwm");
        }
        if c.protect_clock {
            add_device(&mut c.device_allow, "char-rtc", "r");
        }
        if c.encrypted_credentials {
            add_device(&mut c.device_allow, "/dev/tpmrm0", "rw");
        }
    }
}

/// Why systemd refuses to load a service (`service_verify()`), if it does.
pub fn verify(c: &SecurityInfo) -> Option<&'static str> {
    let oneshot = c.service_type == Some(ServiceType::Oneshot);
    if c.exec_start == 0 && c.exec_stop == 0 && !c.success_action {
        return Some("Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.");
    }
    if !oneshot && c.exec_start == 0 {
        return Some("Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.");
    }
    if !c.remain_after_exit && c.exec_start == 0 && !c.success_action {
        return Some(
            "Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing.",
        );
    }
    if !oneshot && c.exec_start > 1 {
        return Some(
            "Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.",
        );
    }
    if oneshot && matches!(c.restart, Restart::Always | Restart::OnSuccess) {
        return Some(
            "Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing.",
        );
    }
    if c.service_type == Some(ServiceType::Dbus) && !c.bus_name {
        return Some("Service is of type D-Bus but no D-Bus service name has been specified. Refusing.");
    }
    if c.pam_name && !matches!(c.kill_mode, KillMode::ControlGroup | KillMode::Mixed) {
        return Some("Service has PAM enabled. Kill mode must be set to 'control-group' or 'mixed'. Refusing.");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_lines_count_commands() {
        assert_eq!(commands("/bin/true ; /bin/false"), 2);
        assert_eq!(commands("/bin/sh -c 'a ; b' ; /bin/x"), 2);
        assert_eq!(commands("/bin/echo \\; x"), 1);
        assert_eq!(commands("-"), 0);
        assert_eq!(commands("-/bin/true"), 1);
    }
}
