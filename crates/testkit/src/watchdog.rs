//! Runs a server process so that it stops when this test process exits.

use std::process::{Child, ChildStdin, Command, Stdio};

/// A background process tied to this process's life: the shell reads its
/// standard input, which only this process holds; when the process exits the
/// pipe closes, `read` returns, and the shell stops the server and cleans up.
pub(crate) struct Watched {
    _child: Child,
    _lifeline: ChildStdin,
}

/// Starts `command` (a shell command line that runs a server in the foreground)
/// in the background; on exit sends it `stop_signal`, waits, then runs `cleanup`.
pub(crate) fn spawn(command: &str, stop_signal: &str, cleanup: &str) -> Watched {
    let script = format!(
        "{command} & pid=$!\nread _ignored\nkill -{stop_signal} $pid 2>/dev/null\nwait $pid\n{cleanup}\n"
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh to start a test server");
    let lifeline = child.stdin.take().expect("piped stdin");
    Watched {
        _child: child,
        _lifeline: lifeline,
    }
}

/// Whether this process runs as root (then PostgreSQL runs as `postgres`).
pub(crate) fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
