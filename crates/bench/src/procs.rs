//! Child processes (killed on every exit path), the temp dir, free ports and
//! memory readings from /proc.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server started by the tool: killed and reaped when dropped, including on
/// `?` early returns and panics, so no server outlives the run.
pub struct ChildGuard {
    name: &'static str,
    child: Child,
}

impl ChildGuard {
    /// Starts `command` with its output discarded (a chatty server would
    /// otherwise block on a full pipe, or interleave with the report).
    pub fn spawn(name: &'static str, mut command: Command) -> Result<Self> {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("could not start {name} ({command:?})"))?;
        Ok(ChildGuard { name, child })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Freezes the process (SIGSTOP) until [`ChildGuard::resume`]: it keeps
    /// its sockets and memory but does no work and no I/O, so a measurement
    /// made meanwhile has the cores and the disk to itself.
    pub fn pause(&self) -> Result<()> {
        self.signal("STOP")
    }

    pub fn resume(&self) -> Result<()> {
        self.signal("CONT")
    }

    fn signal(&self, signal: &str) -> Result<()> {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .with_context(|| format!("could not run kill -{signal}"))?;
        if !status.success() {
            bail!("kill -{signal} {} failed ({status})", self.pid());
        }
        Ok(())
    }

    /// `Some(status)` once the process has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // Errors only mean it is already gone; `wait` reaps it either way.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory under the system temp dir, removed (with the database in it) on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn create() -> Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let path =
            std::env::temp_dir().join(format!("maison-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("could not create the temp dir {}", path.display()))?;
        Ok(TempDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A port that was free a moment ago on 127.0.0.1 (the OS picks it). Another
/// process could take it before the server binds; then startup fails loudly.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .context("could not bind 127.0.0.1:0 to find a free port")?;
    Ok(listener
        .local_addr()
        .context("no local address for the probe socket")?
        .port())
}

/// A `kB` field (`VmRSS`, `VmHWM`, …) of a /proc/<pid>/status text.
pub fn parse_status_kb(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        let mut parts = rest.split_whitespace();
        let value = parts.next()?.parse().ok()?;
        // The kernel always writes kB; refuse anything else rather than guess.
        matches!(parts.next(), Some("kB") | None).then_some(value)
    })
}

/// Reads a `kB` field of a live process; `None` off Linux or once it has exited.
pub fn read_status_kb(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_status_kb(&text, key)
}

/// Samples a process's VmRSS every 100 ms in the background and keeps the peak.
pub struct RssSampler {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Option<u64>>,
}

impl RssSampler {
    pub fn start(pid: u32) -> Self {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut peak = read_status_kb(pid, "VmRSS");
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tick.tick() => {
                        peak = peak.max(read_status_kb(pid, "VmRSS"));
                    }
                }
            }
            // One last reading, so a short phase still gets a sample at its end.
            peak.max(read_status_kb(pid, "VmRSS"))
        });
        RssSampler { stop, task }
    }

    /// The peak VmRSS in kB seen since `start`.
    pub async fn finish(self) -> Option<u64> {
        let _ = self.stop.send(());
        self.task.await.ok().flatten()
    }
}

/// Fails with a message naming the child when it has already exited.
pub fn ensure_running(child: &mut ChildGuard, hint: &str) -> Result<()> {
    if let Some(status) = child.exited() {
        bail!("{} exited ({status}); {hint}", child.name());
    }
    Ok(())
}

/// kB to MB, where MB means MiB (1024 kB), as `top` and `ps` count them.
pub fn kb_to_mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tmaison\n\
Umask:\t0022\n\
State:\tS (sleeping)\n\
Pid:\t4242\n\
VmPeak:\t  812345 kB\n\
VmSize:\t  800000 kB\n\
VmHWM:\t   45678 kB\n\
VmRSS:\t   23456 kB\n\
RssAnon:\t   12000 kB\n\
Threads:\t3\n";

    #[test]
    fn vmrss_and_vmhwm_are_read_in_kb() {
        assert_eq!(parse_status_kb(STATUS, "VmRSS"), Some(23_456));
        assert_eq!(parse_status_kb(STATUS, "VmHWM"), Some(45_678));
    }

    #[test]
    fn missing_or_malformed_fields_are_none() {
        assert_eq!(parse_status_kb(STATUS, "VmSwap"), None);
        assert_eq!(parse_status_kb("VmRSS:\tlots kB\n", "VmRSS"), None);
        assert_eq!(parse_status_kb("VmRSS:\t12 MB\n", "VmRSS"), None);
        assert_eq!(parse_status_kb("", "VmRSS"), None);
        // A key that is a prefix of another is not confused with it.
        assert_eq!(parse_status_kb("VmRSSX:\t1 kB\n", "VmRSS"), None);
    }

    #[test]
    fn kb_become_mb() {
        assert_eq!(kb_to_mb(2048), 2.0);
    }
}
