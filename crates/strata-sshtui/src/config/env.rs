//! What ssh knows about the user and the machine.

use std::path::PathBuf;

/// What ssh knows about the user and the machine, for defaults and Match.
#[derive(Debug, Clone)]
pub struct Env {
    pub local_user: String,
    pub uid: u32,
    /// The user's home (for `~` in Include and %d).
    pub home: PathBuf,
    /// The directory holding the default configuration (passwd home directory).
    pub passwd_home: PathBuf,
    pub hostname: String,
    /// The shell Match exec runs under.
    pub shell: String,
}

impl Env {
    /// The running user's environment, as ssh sees it.
    pub fn current() -> Env {
        // SAFETY: getuid has no failure mode; getpwuid returns a pointer into static storage
        // that is read immediately, before any other call could reuse it.
        let uid = unsafe { libc::getuid() };
        let (mut name, mut pw_dir) = (String::new(), PathBuf::new());
        unsafe {
            let pw = libc::getpwuid(uid);
            if !pw.is_null() {
                name = std::ffi::CStr::from_ptr((*pw).pw_name).to_string_lossy().into_owned();
                pw_dir = PathBuf::from(std::ffi::CStr::from_ptr((*pw).pw_dir).to_string_lossy().into_owned());
            }
        }
        if name.is_empty() {
            name = std::env::var("USER").unwrap_or_else(|_| uid.to_string());
        }
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from).unwrap_or(pw_dir.clone());
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success.
        let hostname = if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            String::from_utf8_lossy(&buf[..end]).into_owned()
        } else {
            String::new()
        };
        let shell = std::env::var("SHELL").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "/bin/sh".into());
        Env { local_user: name, uid, home, passwd_home: pw_dir, hostname, shell }
    }
}
