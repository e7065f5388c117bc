//! The checks of `systemd-analyze security` (systemd 252): names, JSON fields, weights, ranges,
//! how each one scores a unit, and the exposure and rating computed from them.

use crate::choices::{DevicePolicy, KeyringMode, NotifyAccess, ProcSubset, ProtectHome, ProtectProc, ProtectSystem};
use crate::context::{self as ctx, SecurityInfo, cap_bit};
use crate::policy::Policy;
use crate::syscalls;
use Kind::*;

#[derive(Debug, Clone, Copy)]
enum Kind {
    User,
    SupplementaryGroups,
    /// A boolean setting; `true` when setting it is good.
    Flag(fn(&SecurityInfo) -> bool),
    /// Delegate=: setting it is bad.
    Delegate,
    /// Only applies with DefaultDependencies=yes.
    Boot(fn(&SecurityInfo) -> (u64, Option<&'static str>)),
    Cap(u64),
    UMask,
    Keyring,
    Proc,
    Subset,
    Notify,
    RemoveIpc,
    Namespace(u64),
    Family(usize),
    Archs,
    Syscalls(&'static str),
    IpAddress,
    DeviceAllow,
    Ambient,
}

/// One check of the assessment.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub name: &'static str,
    pub json_field: &'static str,
    pub weight: u64,
    pub range: u64,
    good: Option<&'static str>,
    bad: Option<&'static str>,
    na: Option<&'static str>,
    kind: Kind,
}

const fn c(
    name: &'static str,
    json_field: &'static str,
    weight: u64,
    range: u64,
    good: &'static str,
    bad: &'static str,
    kind: Kind,
) -> Check {
    Check { name, json_field, weight, range, good: Some(good), bad: Some(bad), na: None, kind }
}

const fn d(name: &'static str, json_field: &'static str, weight: u64, range: u64, kind: Kind) -> Check {
    Check { name, json_field, weight, range, good: None, bad: None, na: None, kind }
}

fn protect_home(i: &SecurityInfo) -> (u64, Option<&'static str>) {
    match i.protect_home {
        ProtectHome::Yes => (0, Some("Service has no access to home directories")),
        ProtectHome::ReadOnly => (5, Some("Service has read-only access to home directories")),
        ProtectHome::Tmpfs => (1, Some("Service has access to fake empty home directories")),
        ProtectHome::No => (10, Some("Service has full access to home directories")),
    }
}

fn protect_system(i: &SecurityInfo) -> (u64, Option<&'static str>) {
    match i.protect_system {
        ProtectSystem::Yes => (5, Some("Service has limited write access to the OS file hierarchy")),
        ProtectSystem::Full => (3, Some("Service has very limited write access to the OS file hierarchy")),
        ProtectSystem::Strict => (0, Some("Service has strict read-only access to the OS file hierarchy")),
        ProtectSystem::No => (10, Some("Service has full access to the OS file hierarchy")),
    }
}

fn private_tmp(i: &SecurityInfo) -> (u64, Option<&'static str>) {
    (u64::from(!i.private_tmp), None)
}

fn root_dir(i: &SecurityInfo) -> (u64, Option<&'static str>) {
    let root = |p: &Option<String>| p.as_deref().is_none_or(|p| p.is_empty() || p.trim_matches('/').is_empty());
    (u64::from(root(&i.root_directory) && root(&i.root_image)), None)
}

/// The `json_field`s of the checks other modules name (`--suggest` decides by them).
pub mod id {
    pub const PRIVATE_TMP: &str = "PrivateTmp";
    pub const NO_NEW_PRIVILEGES: &str = "NoNewPrivileges";
    pub const PROTECT_SYSTEM: &str = "ProtectSystem";
    pub const PROTECT_HOME: &str = "ProtectHome";
    pub const PRIVATE_DEVICES: &str = "PrivateDevices";
    pub const PROTECT_KERNEL_TUNABLES: &str = "ProtectKernelTunables";
    pub const PROTECT_KERNEL_MODULES: &str = "ProtectKernelModules";
    pub const PROTECT_KERNEL_LOGS: &str = "ProtectKernelLogs";
    pub const PROTECT_CONTROL_GROUPS: &str = "ProtectControlGroups";
    pub const PROTECT_CLOCK: &str = "ProtectClock";
    pub const PROTECT_HOSTNAME: &str = "ProtectHostname";
    pub const RESTRICT_REALTIME: &str = "RestrictRealtime";
    pub const RESTRICT_SUID_SGID: &str = "RestrictSUIDSGID";
    pub const LOCK_PERSONALITY: &str = "LockPersonality";
    pub const SYSTEM_CALL_ARCHITECTURES: &str = "SystemCallArchitectures";
    pub const PROTECT_PROC: &str = "ProtectProc";
    pub const REMOVE_IPC: &str = "RemoveIPC";
}

/// `json_field` prefixes shared by a group of checks (one check per capability, namespace, ...).
pub mod group {
    pub const CAPABILITY_BOUNDING_SET: &str = "CapabilityBoundingSet_";
    pub const RESTRICT_ADDRESS_FAMILIES: &str = "RestrictAddressFamilies_";
    pub const RESTRICT_NAMESPACES: &str = "RestrictNamespaces_";
    pub const SYSTEM_CALL_FILTER: &str = "SystemCallFilter_";
}

/// The checks in systemd's table order.
pub static CHECKS: &[Check] = &[
    Check { bad: Some("Service runs as root user"), ..d("User=/DynamicUser=", "UserOrDynamicUser", 2000, 10, User) },
    Check {
        na: Some("Service runs as root, option does not matter"),
        ..c(
            "SupplementaryGroups=",
            "SupplementaryGroups",
            200,
            1,
            "Service has no supplementary groups",
            "Service runs with supplementary groups",
            SupplementaryGroups,
        )
    },
    c(
        "PrivateDevices=",
        id::PRIVATE_DEVICES,
        1000,
        1,
        "Service has no access to hardware devices",
        "Service potentially has access to hardware devices",
        Flag(|i| i.private_devices),
    ),
    c(
        "PrivateMounts=",
        "PrivateMounts",
        1000,
        1,
        "Service cannot install system mounts",
        "Service may install system mounts",
        Flag(|i| i.private_mounts),
    ),
    c(
        "PrivateNetwork=",
        "PrivateNetwork",
        2500,
        1,
        "Service has no access to the host's network",
        "Service has access to the host's network",
        Flag(|i| i.private_network),
    ),
    c(
        "PrivateTmp=",
        id::PRIVATE_TMP,
        1000,
        1,
        "Service has no access to other software's temporary files",
        "Service has access to other software's temporary files",
        Boot(private_tmp),
    ),
    c(
        "PrivateUsers=",
        "PrivateUsers",
        1000,
        1,
        "Service does not have access to other users",
        "Service has access to other users",
        Flag(|i| i.private_users),
    ),
    c(
        "ProtectControlGroups=",
        id::PROTECT_CONTROL_GROUPS,
        1000,
        1,
        "Service cannot modify the control group file system",
        "Service may modify the control group file system",
        Flag(|i| i.protect_control_groups),
    ),
    c(
        "ProtectKernelModules=",
        id::PROTECT_KERNEL_MODULES,
        1000,
        1,
        "Service cannot load or read kernel modules",
        "Service may load or read kernel modules",
        Flag(|i| i.protect_kernel_modules),
    ),
    c(
        "ProtectKernelTunables=",
        id::PROTECT_KERNEL_TUNABLES,
        1000,
        1,
        "Service cannot alter kernel tunables (/proc/sys, …)",
        "Service may alter kernel tunables",
        Flag(|i| i.protect_kernel_tunables),
    ),
    c(
        "ProtectKernelLogs=",
        id::PROTECT_KERNEL_LOGS,
        1000,
        1,
        "Service cannot read from or write to the kernel log ring buffer",
        "Service may read from or write to the kernel log ring buffer",
        Flag(|i| i.protect_kernel_logs),
    ),
    c(
        "ProtectClock=",
        id::PROTECT_CLOCK,
        1000,
        1,
        "Service cannot write to the hardware clock or system clock",
        "Service may write to the hardware clock or system clock",
        Flag(|i| i.protect_clock),
    ),
    d("ProtectHome=", id::PROTECT_HOME, 1000, 10, Boot(protect_home)),
    c(
        "ProtectHostname=",
        id::PROTECT_HOSTNAME,
        50,
        1,
        "Service cannot change system host/domainname",
        "Service may change system host/domainname",
        Flag(|i| i.protect_hostname),
    ),
    d("ProtectSystem=", id::PROTECT_SYSTEM, 1000, 10, Boot(protect_system)),
    c(
        "RootDirectory=/RootImage=",
        "RootDirectoryOrRootImage",
        200,
        1,
        "Service has its own root directory/image",
        "Service runs within the host's root directory",
        Boot(root_dir),
    ),
    c(
        "LockPersonality=",
        id::LOCK_PERSONALITY,
        100,
        1,
        "Service cannot change ABI personality",
        "Service may change ABI personality",
        Flag(|i| i.lock_personality),
    ),
    c(
        "MemoryDenyWriteExecute=",
        "MemoryDenyWriteExecute",
        100,
        1,
        "Service cannot create writable executable memory mappings",
        "Service may create writable executable memory mappings",
        Flag(|i| i.memory_deny_write_execute),
    ),
    c(
        "NoNewPrivileges=",
        id::NO_NEW_PRIVILEGES,
        1000,
        1,
        "Service processes cannot acquire new privileges",
        "Service processes may acquire new privileges",
        Flag(|i| i.no_new_privileges),
    ),
    c(
        "CapabilityBoundingSet=~CAP_SYS_ADMIN",
        "CapabilityBoundingSet_CAP_SYS_ADMIN",
        1500,
        1,
        "Service has no administrator privileges",
        "Service has administrator privileges",
        Cap(cap_bit("cap_sys_admin")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_SET(UID|GID|PCAP)",
        "CapabilityBoundingSet_CAP_SET_UID_GID_PCAP",
        1500,
        1,
        "Service cannot change UID/GID identities/capabilities",
        "Service may change UID/GID identities/capabilities",
        Cap(cap_bit("cap_setuid") | cap_bit("cap_setgid") | cap_bit("cap_setpcap")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_SYS_PTRACE",
        "CapabilityBoundingSet_CAP_SYS_PTRACE",
        1500,
        1,
        "Service has no ptrace() debugging abilities",
        "Service has ptrace() debugging abilities",
        Cap(cap_bit("cap_sys_ptrace")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_SYS_TIME",
        "CapabilityBoundingSet_CAP_SYS_TIME",
        1000,
        1,
        "Service processes cannot change the system clock",
        "Service processes may change the system clock",
        Cap(cap_bit("cap_sys_time")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_NET_ADMIN",
        "CapabilityBoundingSet_CAP_NET_ADMIN",
        1000,
        1,
        "Service has no network configuration privileges",
        "Service has network configuration privileges",
        Cap(cap_bit("cap_net_admin")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_SYS_RAWIO",
        "CapabilityBoundingSet_CAP_SYS_RAWIO",
        1000,
        1,
        "Service has no raw I/O access",
        "Service has raw I/O access",
        Cap(cap_bit("cap_sys_rawio")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_SYS_MODULE",
        "CapabilityBoundingSet_CAP_SYS_MODULE",
        1000,
        1,
        "Service cannot load kernel modules",
        "Service may load kernel modules",
        Cap(cap_bit("cap_sys_module")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_AUDIT_*",
        "CapabilityBoundingSet_CAP_AUDIT",
        500,
        1,
        "Service has no audit subsystem access",
        "Service has audit subsystem access",
        Cap(cap_bit("cap_audit_control") | cap_bit("cap_audit_read") | cap_bit("cap_audit_write")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_SYSLOG",
        "CapabilityBoundingSet_CAP_SYSLOG",
        500,
        1,
        "Service has no access to kernel logging",
        "Service has access to kernel logging",
        Cap(cap_bit("cap_syslog")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_SYS_(NICE|RESOURCE)",
        "CapabilityBoundingSet_CAP_SYS_NICE_RESOURCE",
        500,
        1,
        "Service has no privileges to change resource use parameters",
        "Service has privileges to change resource use parameters",
        Cap(cap_bit("cap_sys_nice") | cap_bit("cap_sys_resource")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_MKNOD",
        "CapabilityBoundingSet_CAP_MKNOD",
        500,
        1,
        "Service cannot create device nodes",
        "Service may create device nodes",
        Cap(cap_bit("cap_mknod")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_(CHOWN|FSETID|SETFCAP)",
        "CapabilityBoundingSet_CAP_CHOWN_FSETID_SETFCAP",
        1000,
        1,
        "Service cannot change file ownership/access mode/capabilities",
        "Service may change file ownership/access mode/capabilities unrestricted",
        Cap(cap_bit("cap_chown") | cap_bit("cap_fsetid") | cap_bit("cap_setfcap")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)",
        "CapabilityBoundingSet_CAP_DAC_FOWNER_IPC_OWNER",
        1000,
        1,
        "Service cannot override UNIX file/IPC permission checks",
        "Service may override UNIX file/IPC permission checks",
        Cap(cap_bit("cap_dac_override")
            | cap_bit("cap_dac_read_search")
            | cap_bit("cap_fowner")
            | cap_bit("cap_ipc_owner")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_KILL",
        "CapabilityBoundingSet_CAP_KILL",
        500,
        1,
        "Service cannot send UNIX signals to arbitrary processes",
        "Service may send UNIX signals to arbitrary processes",
        Cap(cap_bit("cap_kill")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)",
        "CapabilityBoundingSet_CAP_NET_BIND_SERVICE_BROADCAST_RAW)",
        500,
        1,
        "Service has no elevated networking privileges",
        "Service has elevated networking privileges",
        Cap(cap_bit("cap_net_bind_service") | cap_bit("cap_net_broadcast") | cap_bit("cap_net_raw")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_SYS_BOOT",
        "CapabilityBoundingSet_CAP_SYS_BOOT",
        100,
        1,
        "Service cannot issue reboot()",
        "Service may issue reboot()",
        Cap(cap_bit("cap_sys_boot")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_MAC_*",
        "CapabilityBoundingSet_CAP_MAC",
        100,
        1,
        "Service cannot adjust SMACK MAC",
        "Service may adjust SMACK MAC",
        Cap(cap_bit("cap_mac_admin") | cap_bit("cap_mac_override")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_LINUX_IMMUTABLE",
        "CapabilityBoundingSet_CAP_LINUX_IMMUTABLE",
        75,
        1,
        "Service cannot mark files immutable",
        "Service may mark files immutable",
        Cap(cap_bit("cap_linux_immutable")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_IPC_LOCK",
        "CapabilityBoundingSet_CAP_IPC_LOCK",
        50,
        1,
        "Service cannot lock memory into RAM",
        "Service may lock memory into RAM",
        Cap(cap_bit("cap_ipc_lock")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_SYS_CHROOT",
        "CapabilityBoundingSet_CAP_SYS_CHROOT",
        50,
        1,
        "Service cannot issue chroot()",
        "Service may issue chroot()",
        Cap(cap_bit("cap_sys_chroot")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_BLOCK_SUSPEND",
        "CapabilityBoundingSet_CAP_BLOCK_SUSPEND",
        25,
        1,
        "Service cannot establish wake locks",
        "Service may establish wake locks",
        Cap(cap_bit("cap_block_suspend")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_WAKE_ALARM",
        "CapabilityBoundingSet_CAP_WAKE_ALARM",
        25,
        1,
        "Service cannot program timers that wake up the system",
        "Service may program timers that wake up the system",
        Cap(cap_bit("cap_wake_alarm")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_LEASE",
        "CapabilityBoundingSet_CAP_LEASE",
        25,
        1,
        "Service cannot create file leases",
        "Service may create file leases",
        Cap(cap_bit("cap_lease")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_SYS_TTY_CONFIG",
        "CapabilityBoundingSet_CAP_SYS_TTY_CONFIG",
        25,
        1,
        "Service cannot issue vhangup()",
        "Service may issue vhangup()",
        Cap(cap_bit("cap_sys_tty_config")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_SYS_PACCT",
        "CapabilityBoundingSet_CAP_SYS_PACCT",
        25,
        1,
        "Service cannot use acct()",
        "Service may use acct()",
        Cap(cap_bit("cap_sys_pacct")),
    ),
    c(
        "CapabilityBoundingSet=~CAP_BPF",
        "CapabilityBoundingSet_CAP_BPF",
        25,
        1,
        "Service may not load BPF programs",
        "Service may load BPF programs",
        Cap(cap_bit("cap_bpf")),
    ),
    d("UMask=", "UMask", 100, 10, UMask),
    c(
        "KeyringMode=",
        "KeyringMode",
        1000,
        1,
        "Service doesn't share key material with other services",
        "Service shares key material with other service",
        Keyring,
    ),
    c(
        "ProtectProc=",
        id::PROTECT_PROC,
        1000,
        3,
        "Service has restricted access to process tree (/proc hidepid=)",
        "Service has full access to process tree (/proc hidepid=)",
        Proc,
    ),
    c(
        "ProcSubset=",
        "ProcSubset",
        10,
        1,
        "Service has no access to non-process /proc files (/proc subset=)",
        "Service has full access to non-process /proc files (/proc subset=)",
        Subset,
    ),
    c(
        "NotifyAccess=",
        "NotifyAccess",
        1000,
        1,
        "Service child processes cannot alter service state",
        "Service child processes may alter service state",
        Notify,
    ),
    Check {
        na: Some("Service runs as root, option does not apply"),
        ..c(
            "RemoveIPC=",
            id::REMOVE_IPC,
            100,
            1,
            "Service user cannot leave SysV IPC objects around",
            "Service user may leave SysV IPC objects around",
            RemoveIpc,
        )
    },
    c(
        "Delegate=",
        "Delegate",
        100,
        1,
        "Service does not maintain its own delegated control group subtree",
        "Service maintains its own delegated control group subtree",
        Delegate,
    ),
    c(
        "RestrictRealtime=",
        id::RESTRICT_REALTIME,
        500,
        1,
        "Service realtime scheduling access is restricted",
        "Service may acquire realtime scheduling",
        Flag(|i| i.restrict_realtime),
    ),
    c(
        "RestrictSUIDSGID=",
        id::RESTRICT_SUID_SGID,
        1000,
        1,
        "SUID/SGID file creation by service is restricted",
        "Service may create SUID/SGID files",
        Flag(|i| i.restrict_suid_sgid),
    ),
    c(
        "RestrictNamespaces=~user",
        "RestrictNamespaces_user",
        1500,
        1,
        "Service cannot create user namespaces",
        "Service may create user namespaces",
        Namespace(ctx::CLONE_NEWUSER),
    ),
    c(
        "RestrictNamespaces=~mnt",
        "RestrictNamespaces_mnt",
        500,
        1,
        "Service cannot create file system namespaces",
        "Service may create file system namespaces",
        Namespace(ctx::CLONE_NEWNS),
    ),
    c(
        "RestrictNamespaces=~ipc",
        "RestrictNamespaces_ipc",
        500,
        1,
        "Service cannot create IPC namespaces",
        "Service may create IPC namespaces",
        Namespace(ctx::CLONE_NEWIPC),
    ),
    c(
        "RestrictNamespaces=~pid",
        "RestrictNamespaces_pid",
        500,
        1,
        "Service cannot create process namespaces",
        "Service may create process namespaces",
        Namespace(ctx::CLONE_NEWPID),
    ),
    c(
        "RestrictNamespaces=~cgroup",
        "RestrictNamespaces_cgroup",
        500,
        1,
        "Service cannot create cgroup namespaces",
        "Service may create cgroup namespaces",
        Namespace(ctx::CLONE_NEWCGROUP),
    ),
    c(
        "RestrictNamespaces=~net",
        "RestrictNamespaces_net",
        500,
        1,
        "Service cannot create network namespaces",
        "Service may create network namespaces",
        Namespace(ctx::CLONE_NEWNET),
    ),
    c(
        "RestrictNamespaces=~uts",
        "RestrictNamespaces_uts",
        100,
        1,
        "Service cannot create hostname namespaces",
        "Service may create hostname namespaces",
        Namespace(ctx::CLONE_NEWUTS),
    ),
    c(
        "RestrictAddressFamilies=~AF_(INET|INET6)",
        "RestrictAddressFamilies_AF_INET_INET6",
        1500,
        1,
        "Service cannot allocate Internet sockets",
        "Service may allocate Internet sockets",
        Family(0),
    ),
    c(
        "RestrictAddressFamilies=~AF_UNIX",
        "RestrictAddressFamilies_AF_UNIX",
        25,
        1,
        "Service cannot allocate local sockets",
        "Service may allocate local sockets",
        Family(1),
    ),
    c(
        "RestrictAddressFamilies=~AF_NETLINK",
        "RestrictAddressFamilies_AF_NETLINK",
        200,
        1,
        "Service cannot allocate netlink sockets",
        "Service may allocate netlink sockets",
        Family(2),
    ),
    c(
        "RestrictAddressFamilies=~AF_PACKET",
        "RestrictAddressFamilies_AF_PACKET",
        1000,
        1,
        "Service cannot allocate packet sockets",
        "Service may allocate packet sockets",
        Family(3),
    ),
    c(
        "RestrictAddressFamilies=~…",
        "RestrictAddressFamilies_OTHER",
        1250,
        1,
        "Service cannot allocate exotic sockets",
        "Service may allocate exotic sockets",
        Family(4),
    ),
    d("SystemCallArchitectures=", id::SYSTEM_CALL_ARCHITECTURES, 1000, 10, Archs),
    d("SystemCallFilter=~@swap", "SystemCallFilter_swap", 1000, 10, Syscalls("@swap")),
    d("SystemCallFilter=~@obsolete", "SystemCallFilter_obsolete", 250, 10, Syscalls("@obsolete")),
    d("SystemCallFilter=~@clock", "SystemCallFilter_clock", 1000, 10, Syscalls("@clock")),
    d("SystemCallFilter=~@cpu-emulation", "SystemCallFilter_cpu_emulation", 250, 10, Syscalls("@cpu-emulation")),
    d("SystemCallFilter=~@debug", "SystemCallFilter_debug", 1000, 10, Syscalls("@debug")),
    d("SystemCallFilter=~@mount", "SystemCallFilter_mount", 1000, 10, Syscalls("@mount")),
    d("SystemCallFilter=~@module", "SystemCallFilter_module", 1000, 10, Syscalls("@module")),
    d("SystemCallFilter=~@raw-io", "SystemCallFilter_raw_io", 1000, 10, Syscalls("@raw-io")),
    d("SystemCallFilter=~@reboot", "SystemCallFilter_reboot", 1000, 10, Syscalls("@reboot")),
    d("SystemCallFilter=~@privileged", "SystemCallFilter_privileged", 700, 10, Syscalls("@privileged")),
    d("SystemCallFilter=~@resources", "SystemCallFilter_resources", 700, 10, Syscalls("@resources")),
    d("IPAddressDeny=", "IPAddressDeny", 1000, 10, IpAddress),
    d("DeviceAllow=", "DeviceAllow", 1000, 10, DeviceAllow),
    c(
        "AmbientCapabilities=",
        "AmbientCapabilities",
        500,
        1,
        "Service process does not receive ambient capabilities",
        "Service process receives ambient capabilities",
        Ambient,
    ),
];

/// The checks in systemd's table order.
pub fn checks() -> &'static [Check] {
    CHECKS
}

/// One check's result for one unit.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub check: &'static Check,
    /// The check's weight and range under the policy (systemd's own without one).
    pub weight: u64,
    pub range: u64,
    /// `None`: the check does not apply.
    pub badness: Option<u64>,
    pub description: Option<String>,
}

fn runs_privileged(i: &SecurityInfo) -> bool {
    match i.user.as_deref() {
        Some("0" | "root") => true,
        _ if i.dynamic_user => false,
        u => u.is_none_or(str::is_empty),
    }
}

/// Finds a member of `group` whose presence in the filter makes the check bad.
fn offending_syscall(i: &SecurityInfo, group: &str, depth: u8) -> Option<&'static str> {
    let filter = i.syscall_filter.as_ref();
    for m in syscalls::group(group).unwrap_or(&[]) {
        if m.starts_with('@') {
            if depth < 8
                && let Some(o) = offending_syscall(i, m, depth + 1)
            {
                return Some(o);
            }
            continue;
        }
        let Some(id) = syscalls::resolve(m) else {
            continue;
        };
        if filter.is_some_and(|f| f.contains(&id)) == i.syscall_allow_list {
            return Some(m);
        }
    }
    None
}

fn run(check: &Check, i: &SecurityInfo) -> (Option<u64>, Option<String>) {
    let b = |v: bool| (Some(u64::from(v)), None);
    match check.kind {
        User => user(i),
        SupplementaryGroups => {
            if runs_privileged(i) {
                (None, None)
            } else {
                b(!i.supplementary_groups.is_empty())
            }
        }
        RemoveIpc => {
            if runs_privileged(i) {
                (None, None)
            } else {
                b(!i.remove_ipc)
            }
        }
        Flag(f) => b(!f(i)),
        Delegate => b(i.delegate),
        Boot(f) => {
            if !i.default_dependencies {
                (None, Some("Service runs in special boot phase, option is not appropriate".into()))
            } else {
                let (v, desc) = f(i);
                (Some(v), desc.map(str::to_string))
            }
        }
        Cap(mask) => b(i.capability_bounding_set & mask != 0),
        UMask => umask(i),
        Keyring => b(i.keyring_mode != KeyringMode::Private),
        Proc => match i.protect_proc {
            ProtectProc::NoAccess => (Some(1), None),
            ProtectProc::Invisible | ProtectProc::Ptraceable => (Some(0), None),
            ProtectProc::Default => (Some(3), None),
        },
        Subset => b(i.proc_subset != ProcSubset::Pid),
        Notify => b(i.notify_access == Some(NotifyAccess::All)),
        Namespace(flag) => b(i.restrict_namespaces & flag != 0),
        Family(idx) => b(!i.families_restricted()[idx]),
        Archs => archs(i),
        Syscalls(group) => syscall_group(i, group),
        IpAddress => ip_address(i),
        DeviceAllow => device_allow(i),
        Ambient => b(i.ambient_capabilities != 0),
    }
}

/// User=/DynamicUser=: who the service runs as.
fn user(i: &SecurityInfo) -> (Option<u64>, Option<String>) {
    let user = i.user.as_deref();
    if user == Some("nobody") {
        (Some(9), Some("Service runs under as 'nobody' user, which should not be used for services".into()))
    } else if i.dynamic_user && !matches!(user, Some("0" | "root")) {
        (Some(0), Some("Service runs under a transient non-root user identity".into()))
    } else if user.is_some_and(|u| !matches!(u, "0" | "root" | "")) {
        (Some(0), Some("Service runs under a static non-root user identity".into()))
    } else {
        (Some(10), None)
    }
}

/// UMask=: who may read and write the files the service creates.
fn umask(i: &SecurityInfo) -> (Option<u64>, Option<String>) {
    let m = i.umask;
    let (v, desc) = if m & 0o002 == 0 {
        (10, "Files created by service are world-writable by default")
    } else if m & 0o004 == 0 {
        (5, "Files created by service are world-readable by default")
    } else if m & 0o020 == 0 {
        (2, "Files created by service are group-writable by default")
    } else if m & 0o040 == 0 {
        (1, "Files created by service are group-readable by default")
    } else {
        (0, "Files created by service are accessible only by service's own user by default")
    };
    (Some(v), Some(desc.into()))
}

/// SystemCallArchitectures=: native only, several, or all ABIs.
fn archs(i: &SecurityInfo) -> (Option<u64>, Option<String>) {
    if i.syscall_archs.is_empty() {
        (Some(10), Some("Service may execute system calls with all ABIs".into()))
    } else if i.syscall_archs.len() == 1 && i.syscall_archs.contains("native") {
        (Some(0), Some("Service may execute system calls only with native ABI".into()))
    } else {
        (Some(8), Some("Service may execute system calls with multiple ABIs".into()))
    }
}

/// SystemCallFilter=: whether a group of system calls is filtered out.
fn syscall_group(i: &SecurityInfo, group: &str) -> (Option<u64>, Option<String>) {
    if !i.syscall_allow_list && i.syscall_filter.as_ref().is_none_or(|f| f.is_empty()) {
        return (Some(10), Some("Service does not filter system calls".into()));
    }
    let offender = offending_syscall(i, group, 0);
    match (i.syscall_allow_list, offender) {
        (true, Some(o)) => (
            Some(9),
            Some(format!("System call allow list defined for service, and {group} is included (e.g. {o} is allowed)")),
        ),
        (true, None) => {
            (Some(0), Some(format!("System call allow list defined for service, and {group} is not included")))
        }
        (false, Some(o)) => (
            Some(10),
            Some(format!(
                "System call deny list defined for service, and {group} is not included (e.g. {o} is allowed)"
            )),
        ),
        (false, None) => (Some(0), Some(format!("System call deny list defined for service, and {group} is included"))),
    }
}

/// IPAddressDeny=: deny all and allow only localhost, or custom BPF filters.
fn ip_address(i: &SecurityInfo) -> (Option<u64>, Option<String>) {
    let (v, desc) = if i.ip_ingress_filters || i.ip_egress_filters {
        (0, "Service defines custom ingress/egress IP filters with BPF programs")
    } else if !i.ip_deny_all() {
        (10, "Service does not define an IP address allow list")
    } else if i.ip_allow_other() {
        (5, "Service defines IP address allow list with non-localhost entries")
    } else if i.ip_allow_localhost() {
        (2, "Service defines IP address allow list with only localhost entries")
    } else {
        (0, "Service blocks all IP address ranges")
    };
    (Some(v), Some(desc.into()))
}

/// DevicePolicy=/DeviceAllow=: which devices the service may open.
fn device_allow(i: &SecurityInfo) -> (Option<u64>, Option<String>) {
    if matches!(i.device_policy, DevicePolicy::Strict | DevicePolicy::Closed) {
        if i.device_allow.is_empty() {
            (Some(0), Some("Service has a minimal device ACL".into()))
        } else {
            let list: Vec<String> = i.device_allow.iter().map(|(p, m)| format!("{p}:{m}")).collect();
            (Some(5), Some(format!("Service has a device ACL with some special devices: {}", list.join(" "))))
        }
    } else {
        (Some(10), Some("Service has no device ACL".into()))
    }
}

/// What systemd says of a check a policy leaves out (weight 0).
pub const EXCLUDED: &str = "Option excluded by policy, skipping";

/// Runs every check, in systemd's display order (description descending, then name), with the
/// weights, ranges and descriptions of `policy`.
pub fn assess(i: &SecurityInfo, policy: &Policy) -> Vec<Outcome> {
    let mut out: Vec<Outcome> = checks()
        .iter()
        .map(|check| {
            let (weight, range) = (policy.weight(check), policy.range(check));
            // A unit of the boot phase first, as systemd decides, then a check left out.
            let boot_phase = matches!(check.kind, Boot(_)) && !i.default_dependencies;
            let (badness, d) =
                if weight == 0 && !boot_phase { (None, Some(EXCLUDED.to_string())) } else { run(check, i) };
            // The policy's descriptions stand where systemd's own would; a bad setting is one at
            // the check's built-in range, whatever range the policy gives.
            let description = d.or(match badness {
                None => policy.na(check).or(check.na).map(str::to_string),
                Some(0) => policy.good(check).or(check.good).map(str::to_string),
                Some(b) if b == check.range => policy.bad(check).or(check.bad).map(str::to_string),
                Some(_) => None,
            });
            Outcome { check, weight, range, badness, description }
        })
        .collect();
    let order = glibc_msort(out.len(), &|x, y| row_cmp(&out[x], x, &out[y], y));
    let mut slots: Vec<Option<Outcome>> = out.into_iter().map(Some).collect();
    out = order.into_iter().filter_map(|i| slots[i].take()).collect();
    out
}

/// systemd's details table order: description descending (a missing description compares by
/// insertion order, as format-table's fallback does), then name, then insertion order.
fn row_cmp(a: &Outcome, ai: usize, b: &Outcome, bi: usize) -> std::cmp::Ordering {
    use std::cmp::Ordering::Equal;
    let r = match (&a.description, &b.description) {
        (Some(x), Some(y)) => x.as_bytes().cmp(y.as_bytes()),
        (None, None) => Equal,
        _ => ai.cmp(&bi),
    };
    if r != Equal {
        return r.reverse();
    }
    a.check.name.as_bytes().cmp(b.check.name.as_bytes()).then(ai.cmp(&bi))
}

/// glibc's `qsort()` merge sort over indices 0..n: with a comparator that is not a total order
/// (the fallback above) only the same algorithm gives the same order.
fn glibc_msort(n: usize, cmp: &dyn Fn(usize, usize) -> std::cmp::Ordering) -> Vec<usize> {
    fn sort(v: &mut [usize], cmp: &dyn Fn(usize, usize) -> std::cmp::Ordering) {
        let n = v.len();
        if n <= 1 {
            return;
        }
        let n1 = n / 2;
        sort(&mut v[..n1], cmp);
        sort(&mut v[n1..], cmp);
        let (mut i, mut j) = (0, n1);
        let mut merged = Vec::with_capacity(n);
        while i < n1 && j < n {
            if cmp(v[i], v[j]) != std::cmp::Ordering::Greater {
                merged.push(v[i]);
                i += 1;
            } else {
                merged.push(v[j]);
                j += 1;
            }
        }
        merged.extend_from_slice(&v[i..n1]);
        merged.extend_from_slice(&v[j..n]);
        v.copy_from_slice(&merged);
    }
    let mut v: Vec<usize> = (0..n).collect();
    sort(&mut v, cmp);
    v
}

/// The total exposure in tenths (0..=100), systemd's integer rounding.
pub fn exposure_tenths(outcomes: &[Outcome]) -> u64 {
    let (mut badness_sum, mut weight_sum) = (0u64, 0u64);
    for o in outcomes {
        if let Some(b) = o.badness {
            badness_sum += (b * o.weight).div_ceil(o.range);
            weight_sum += o.weight;
        }
    }
    if weight_sum == 0 { 0 } else { (badness_sum * 100).div_ceil(weight_sum) }
}

/// Why systemd-analyze cannot score these outcomes (it stops on an assertion): a policy's range
/// below a check's badness, or no check left to weigh.
pub fn unscorable(outcomes: &[Outcome]) -> Option<String> {
    if let Some(o) = outcomes.iter().find(|o| o.badness.is_some_and(|b| b > o.range)) {
        return Some(format!(
            "the policy's range {} of {} is below this unit's badness {} (systemd-analyze stops on it)",
            o.range,
            o.check.json_field,
            o.badness.unwrap_or_default()
        ));
    }
    if weight_sum(outcomes) == 0 {
        return Some("the policy leaves no check that applies to this unit (systemd-analyze stops on it)".into());
    }
    None
}

/// Weight sum of the checks that apply (for a check's share of the exposure).
pub fn weight_sum(outcomes: &[Outcome]) -> u64 {
    outcomes.iter().filter(|o| o.badness.is_some()).map(|o| o.weight).sum()
}

/// A check's share of the exposure in tenths, as systemd prints it (`None` when nothing).
pub fn check_exposure_tenths(o: &Outcome, weight_sum: u64) -> Option<u64> {
    match o.badness {
        None | Some(0) => None,
        Some(b) if weight_sum > 0 => Some((b * o.weight * 100).div_ceil(o.range).div_ceil(weight_sum)),
        Some(_) => None,
    }
}

/// systemd's rating of an exposure, spelled as it prints it (`PERFECT` ... `DANGEROUS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Rating {
    Perfect,
    Safe,
    Ok,
    Medium,
    Exposed,
    Unsafe,
    Dangerous,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Perfect => "PERFECT",
            Rating::Safe => "SAFE",
            Rating::Ok => "OK",
            Rating::Medium => "MEDIUM",
            Rating::Exposed => "EXPOSED",
            Rating::Unsafe => "UNSAFE",
            Rating::Dangerous => "DANGEROUS",
        }
    }
}

impl std::fmt::Display for Rating {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// systemd's rating for an exposure in tenths.
pub fn rating(tenths: u64) -> Rating {
    match tenths {
        100.. => Rating::Dangerous,
        90.. => Rating::Unsafe,
        75.. => Rating::Exposed,
        50.. => Rating::Medium,
        10.. => Rating::Ok,
        1.. => Rating::Safe,
        0 => Rating::Perfect,
    }
}

/// `4.2` from 42.
pub fn tenths(t: u64) -> String {
    format!("{}.{}", t / 10, t % 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Scope;
    use crate::parse;

    fn score(unit: &str) -> (u64, Vec<Outcome>) {
        let p = parse::parse(unit.as_bytes(), &["Unit", "Service"]).unwrap();
        let names = ctx::Names { name: "t.service", fragment: "/etc/systemd/system/t.service" };
        let info = ctx::build(&[("/etc/systemd/system/t.service".into(), p.assignments)], &names, Scope::System);
        let o = assess(&info, &Policy::default());
        (exposure_tenths(&o), o)
    }

    #[test]
    fn rating_words_and_boundaries() {
        assert_eq!(
            [100, 99, 90, 89, 75, 74, 50, 49, 10, 9, 1, 0].map(|t| rating(t).as_str()),
            [
                "DANGEROUS",
                "UNSAFE",
                "UNSAFE",
                "EXPOSED",
                "EXPOSED",
                "MEDIUM",
                "MEDIUM",
                "OK",
                "OK",
                "SAFE",
                "SAFE",
                "PERFECT"
            ]
        );
        assert_eq!(tenths(96), "9.6");
        // The JSON spelling is the word systemd prints.
        for t in [0, 1, 10, 50, 75, 90, 100] {
            assert_eq!(serde_json::to_value(rating(t)).unwrap(), rating(t).as_str());
        }
    }

    #[test]
    fn plain_root_service_scores_like_systemd_analyze() {
        // systemd-analyze security of a unit with only ExecStart= says 9.6 UNSAFE.
        let (t, o) = score("[Service]\nExecStart=/bin/true\n");
        assert_eq!(t, 96);
        assert_eq!(o.len(), 81);
        let na: Vec<&str> = o.iter().filter(|x| x.badness.is_none()).map(|x| x.check.name).collect();
        assert_eq!(na, ["SupplementaryGroups=", "RemoveIPC="]);
    }

    #[test]
    fn implications_of_dynamic_user_and_private_devices() {
        let (_, o) = score("[Service]\nExecStart=/bin/true\nDynamicUser=yes\nPrivateDevices=yes\n");
        let b = |n: &str| o.iter().find(|x| x.check.name == n).and_then(|x| x.badness);
        assert_eq!(b("PrivateTmp="), Some(0));
        assert_eq!(b("ProtectSystem="), Some(0));
        assert_eq!(b("ProtectHome="), Some(5));
        assert_eq!(b("CapabilityBoundingSet=~CAP_MKNOD"), Some(0));
        assert_eq!(b("DeviceAllow="), Some(0));
        assert_eq!(b("RemoveIPC="), Some(0));
    }
}
