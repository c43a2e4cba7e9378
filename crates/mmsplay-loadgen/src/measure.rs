//! The server under load, as a process: started, its ports, and what it costs (CPU time and
//! peak RSS from /proc).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A server process, killed when dropped.
pub struct Server {
    child: Child,
    ports: Vec<(String, u16)>,
    ticks_per_second: f64,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `mmsplay serve --live FILE` on loopback, every port picked by the system.
    pub fn mmsplay(bin: &Path, content: &Path) -> Result<Server, String> {
        let mut child = Command::new(bin)
            .arg("serve")
            .arg(content)
            .args([
                "--live",
                "--rtsp-port",
                "0",
                "--mms-port",
                "0",
                "--http-port",
                "0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let out = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(out);
        let mut line = String::new();
        lines.read_line(&mut line).map_err(|e| e.to_string())?;
        let mut ports = Vec::new();
        for key in ["rtsp", "mms", "http"] {
            let port = json_number(&line, key).ok_or(format!("no {key} port in {line:?}"))?;
            ports.push((key.to_string(), port as u16));
        }
        // Its session_end lines are not needed here: keep reading so it never blocks.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while lines.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        });
        Ok(Server {
            child,
            ports,
            ticks_per_second: clock_ticks(),
        })
    }

    /// VLC's MMSH output of FILE on `port` (as nobody: VLC refuses to run as root).
    pub fn vlc(home: &Path, content: &Path, port: u16) -> Result<Server, String> {
        let sout = format!("#std{{access=mmsh,mux=asfh,dst=127.0.0.1:{port}}}");
        let child = Command::new("setpriv")
            .args([
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                "cvlc",
            ])
            .args(["-I", "dummy"])
            .arg(content)
            .args(["--sout", &sout])
            .env("HOME", home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cvlc: {e}"))?;
        // Wait (bounded) until it listens.
        for _ in 0..80 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Ok(Server {
            child,
            ports: vec![("http".into(), port)],
            ticks_per_second: clock_ticks(),
        })
    }

    pub fn port(&self, key: &str) -> u16 {
        self.ports
            .iter()
            .find(|(k, _)| k == key)
            .map_or(0, |(_, p)| *p)
    }

    /// User plus system CPU time so far, seconds.
    pub fn cpu_seconds(&self) -> f64 {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())) else {
            return 0.0;
        };
        // Fields after the command name (which may hold spaces) in parentheses.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
        let ticks: f64 = [12, 13]
            .iter()
            .filter_map(|&i| f.get(i)?.parse::<f64>().ok())
            .sum();
        ticks / self.ticks_per_second
    }

    /// The peak resident set size so far, KiB.
    pub fn peak_rss_kb(&self) -> u64 {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
        else {
            return 0;
        };
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }
}

/// A number field of a flat JSON line (the `listening` line), without a JSON dependency.
fn json_number(line: &str, key: &str) -> Option<u64> {
    let at = line.find(&format!("\"{key}\":"))? + key.len() + 3;
    let digits: String = line[at..]
        .chars()
        .skip_while(|c| c.is_whitespace())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Clock ticks per second of /proc CPU times.
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// A port nobody listens on now.
pub fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}
