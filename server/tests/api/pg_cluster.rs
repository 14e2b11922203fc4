//! A throwaway PostgreSQL cluster for this test process: `initdb` into a temporary folder,
//! `postgres` on a free loopback port. It is stopped and deleted when the process ends, however
//! it ends: a shell holds the server and waits on a pipe from us, which the OS closes at exit.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct PgCluster {
    pub port: u16,
    // Never read: keeping it open keeps the cluster alive until the process exits.
    _lifeline: Mutex<ChildStdin>,
    _guard: Mutex<Child>,
}

static CLUSTER: OnceLock<PgCluster> = OnceLock::new();

pub fn cluster() -> &'static PgCluster {
    CLUSTER.get_or_init(|| start().expect("could not start a PostgreSQL cluster for the tests"))
}

fn pg_bin(name: &str) -> PathBuf {
    if let Ok(out) = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
    {
        let found = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !found.is_empty() {
            return PathBuf::from(found);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin").join(name))
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions
        .pop()
        .filter(|p| p.exists())
        .unwrap_or_else(|| panic!("{name} not found: install postgresql"))
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// PostgreSQL refuses to run as root: drop to the `postgres` user when we are root.
fn as_server_user(program: &Path, root: bool) -> Command {
    if root {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--",
        ])
        .arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A new, empty cluster's data folder in `dir` (owned by the server's user).
fn initdb(dir: &Path, root: bool) -> PathBuf {
    let data = dir.join("data");
    let out = as_server_user(&pg_bin("initdb"), root)
        .arg("-D")
        .arg(&data)
        .args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("initdb runs");
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    data
}

fn start() -> std::io::Result<PgCluster> {
    let root = running_as_root();
    let dir = std::env::temp_dir().join(format!("farewell-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    if root {
        Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()?;
    }
    let data = initdb(&dir, root);

    let port = free_port();
    let postgres = as_server_user(&pg_bin("postgres"), root);
    let argv: Vec<String> = std::iter::once(postgres.get_program())
        .chain(postgres.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let server = format!(
        "{} -D {} -p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=400",
        argv.join(" "),
        data.display(),
        dir.display()
    );
    // The shell starts the server, then blocks reading our pipe. When this process exits the
    // pipe closes, and the shell stops the server and removes its files.
    let script = format!(
        "{server} >{log} 2>&1 & pid=$!; echo started; cat >/dev/null; kill -INT $pid; wait $pid; rm -rf {dir}",
        log = dir.join("postgres.log").display(),
        dir = dir.display()
    );
    let mut guard = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let lifeline = guard.stdin.take().expect("piped stdin");
    let mut started = String::new();
    BufReader::new(guard.stdout.take().expect("piped stdout")).read_line(&mut started)?;

    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "postgres did not start: see {}",
            dir.join("postgres.log").display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Accepting TCP is not yet accepting queries; the first connection retries (see helpers).
    Ok(PgCluster {
        port,
        _lifeline: Mutex::new(lifeline),
        _guard: Mutex::new(guard),
    })
}

impl PgCluster {
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

/// A cluster of one test's own, which the test may stop and start again (fault tests): the
/// shared cluster above must keep running for every other test. (The benchmarks include this
/// file for the shared cluster only.)
#[allow(dead_code)]
pub struct OwnCluster {
    dir: PathBuf,
    data: PathBuf,
    pub port: u16,
    server: Option<Child>,
}

#[allow(dead_code)]
impl OwnCluster {
    pub fn start() -> OwnCluster {
        let root = running_as_root();
        let dir =
            std::env::temp_dir().join(format!("farewell-pg-own-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        if root {
            Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
        }
        let data = initdb(&dir, root);
        let mut cluster = OwnCluster {
            dir,
            data,
            port: free_port(),
            server: None,
        };
        cluster.resume();
        cluster
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Starts the server again on the same port and data.
    pub fn resume(&mut self) {
        let child = as_server_user(&pg_bin("postgres"), running_as_root())
            .arg("-D")
            .arg(&self.data)
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-k")
            .arg(&self.dir)
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.server = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "postgres did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server (fast shutdown: connections are cut, as in a crash of the database
    /// host or a failover) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
