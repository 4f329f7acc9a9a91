"""A private, throw-away PostgreSQL 15 server (password auth, 127.0.0.1 only) for the test suite."""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

__all__ = ["PG_BIN_DIR", "PostgresDatabase", "PostgresError", "PostgresServer", "postgres_available"]

PG_BIN_DIR = Path("/usr/lib/postgresql/15/bin")
_OS_USER = "postgres"  # PostgreSQL refuses to run as root, so as root we drop to this account.
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_START_TIMEOUT_S = 60

# Runs in a separate process and blocks on a pipe whose write end only the test process holds.
# EOF without the "done" byte means the test process died without stop() (SIGKILL, os._exit from
# pytest-timeout's thread method, ...), which atexit cannot cover: then stop the server and clean up.
_WATCHDOG = """
import os, shutil, subprocess, sys
fd, root, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
try:
    done = os.read(fd, 1)
except OSError:
    done = b""
if not done:
    subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60, check=False)
    shutil.rmtree(root, ignore_errors=True)
"""


class PostgresError(RuntimeError):
    """The private PostgreSQL server could not be set up, started or stopped."""


@dataclass(frozen=True)
class PostgresDatabase:
    """One database on a `PostgresServer`, owned by a password-protected LOGIN role."""

    host: str
    port: int
    database: str
    user: str
    password: str = field(repr=False)  # Keep it out of pytest's assertion output and logs.

    def url(self, with_password: bool = False) -> str:
        """Return ``postgresql://user[:password]@host:port/database``."""
        # Names are validated identifiers, so only the password can need URL quoting.
        auth = f"{self.user}:{quote(self.password, safe='')}" if with_password else self.user
        return f"postgresql://{auth}@{self.host}:{self.port}/{self.database}"

    def db_auth_entry(self) -> dict[str, str]:
        """Return one element of the ``LSST_DB_AUTH_CREDENTIALS`` JSON list read by ``DbAuth``."""
        return {"url": self.url(), "username": self.user, "password": self.password}


def postgres_available(bin_dir: Path = PG_BIN_DIR) -> str | None:
    """Return None if a private server can be started here, else the reason it cannot."""
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not os.access(bin_dir / tool, os.X_OK):
            return f"{bin_dir / tool} is missing or not executable"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root, but runuser (needed to run PostgreSQL as another user) is missing"
        try:
            pwd.getpwnam(_OS_USER)
        except KeyError:
            return f"running as root, but there is no {_OS_USER!r} OS user to run PostgreSQL as"
        blocked = _untraversable_ancestor(Path(tempfile.gettempdir()))
        if blocked is not None:
            return f"the {_OS_USER!r} user cannot traverse {blocked} (the temporary directory's path)"
    return None


class PostgresServer:
    """A PostgreSQL server in a temporary directory, listening on 127.0.0.1 at a free port.

    Use as a context manager or call `start` / `stop`. Every role, the superuser included,
    must authenticate with a password (scram-sha-256), over TCP and the private socket alike.
    """

    host = "127.0.0.1"
    superuser = "postgres"

    def __init__(self, bin_dir: Path = PG_BIN_DIR) -> None:
        self.bin_dir = bin_dir
        self.port = 0
        self.superuser_password = secrets.token_urlsafe(24)
        self._root: Path | None = None
        self._running = False
        self._as_root = os.geteuid() == 0
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._watchdog_fd: int | None = None
        # A clean environment: stray PGDATA/PGPORT/PGHOST... would redirect initdb, pg_ctl or postgres.
        self._env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}

    # -- paths ---------------------------------------------------------------------------------

    @property
    def root(self) -> Path:
        """The temporary directory holding the data directory, socket and log."""
        if self._root is None:
            raise PostgresError("the server has not been started")
        return self._root

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    @property
    def running(self) -> bool:
        """True between `start`/`resume` and `pause`/`stop`."""
        return self._running

    # -- life cycle ----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Self:
        """Create a fresh cluster and start it; returns self."""
        if self._root is not None:
            raise PostgresError("the server was already started")
        reason = postgres_available(self.bin_dir)
        if reason is not None:
            raise PostgresError(f"cannot start PostgreSQL: {reason}")
        self._root = Path(tempfile.mkdtemp(prefix="cm-butler-pg-"))
        atexit.register(self._stop_at_exit)
        try:
            self._start_watchdog()
            self._init_cluster()
            self._start_on_free_port()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (fast, then immediate, then SIGKILL) and delete its directory; idempotent."""
        atexit.unregister(self._stop_at_exit)
        if self._root is None:
            return
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._pg_ctl("stop", "-m", "fast", "-w", "-t", "30", check=False)
            if (self.data_dir / "postmaster.pid").exists():
                self._pg_ctl("stop", "-m", "immediate", "-w", "-t", "30", check=False)
            self._kill_postmaster()
        finally:
            self._running = False
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
            self._stop_watchdog()

    def pause(self) -> None:
        """Stop the server but keep its data, port and passwords, to simulate a database outage."""
        if not self._running:
            raise PostgresError("the server is not running")
        self._pg_ctl("stop", "-m", "fast", "-w", "-t", "30")
        self._running = False

    def resume(self) -> None:
        """Start a paused server again on the same port and data directory."""
        if self._running:
            raise PostgresError("the server is already running")
        self._pg_ctl_start()

    @contextlib.contextmanager
    def stop_temporarily(self) -> Iterator[None]:
        """Keep the server down for the duration of the ``with`` block."""
        self.pause()
        try:
            yield
        finally:
            self.resume()

    # -- databases -----------------------------------------------------------------------------

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[TupleRow]:
        """Open an autocommit superuser connection over TCP (password auth, like every client)."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.superuser,
            password=self.superuser_password,
            dbname=dbname,
            autocommit=True,
            connect_timeout=10,
        )

    def create_database(self, name: str, owner: str, password: str) -> PostgresDatabase:
        """Create (or reset the password of) LOGIN role `owner` and a database `name` it owns.

        ``btree_gist`` is enabled in the new database, as the Butler PostgreSQL backend requires.
        Names must be plain identifiers: DbAuth matches URL parts verbatim, without unquoting.
        """
        for value in (name, owner):
            if not _NAME_RE.fullmatch(value):
                raise ValueError(f"{value!r} is not a plain SQL identifier")
        with self.connect() as conn:
            role = sql.Identifier(owner)
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,)).fetchone()
            verb = sql.SQL("ALTER" if exists else "CREATE")
            # Utility statements take no bind parameters, hence a client-side quoted literal.
            conn.execute(
                sql.SQL("{} ROLE {} WITH LOGIN PASSWORD {}").format(verb, role, sql.Literal(password))
            )
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), role))
        with self.connect(name) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        return PostgresDatabase(self.host, self.port, name, owner, password)

    # -- internals -----------------------------------------------------------------------------

    def _stop_at_exit(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()

    def _command(self, tool: str, *args: str) -> list[str]:
        prefix = [shutil.which("runuser") or "runuser", "-u", _OS_USER, "--"] if self._as_root else []
        return [*prefix, str(self.bin_dir / tool), *args]

    def _run(self, cmd: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            cmd,
            cwd=self.root,  # The postgres user may not be able to enter our working directory.
            env=self._env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_START_TIMEOUT_S + 30,
            # Keep a terminal's Ctrl-C away from the server: stop() shuts it down in order.
            start_new_session=True,
            check=False,
        )
        if check and proc.returncode != 0:
            raise PostgresError(
                f"{' '.join(cmd)} exited with {proc.returncode}\n{proc.stdout}{proc.stderr}{self._log_tail()}"
            )
        return proc

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run(self._command("pg_ctl", "-D", str(self.data_dir), *args), check=check)

    def _pg_ctl_start(self, *, check: bool = True) -> bool:
        proc = self._pg_ctl(
            "start",
            "-w",
            "-t",
            str(_START_TIMEOUT_S),
            "-l",
            str(self.log_path),
            "-o",
            f"-p {self.port}",
            check=check,
        )
        self._running = proc.returncode == 0
        return self._running

    def _init_cluster(self) -> None:
        for path in (self.data_dir, self.socket_dir):
            path.mkdir(mode=0o700)
        pwfile = self.root / "pwfile"
        pwfile.touch(mode=0o600)
        pwfile.write_text(self.superuser_password + "\n")
        if self._as_root:
            user = pwd.getpwnam(_OS_USER)
            for path in (self.root, self.data_dir, self.socket_dir, pwfile):
                os.chown(path, user.pw_uid, user.pw_gid)
        self._run(
            self._command(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                self.superuser,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            )
        )
        pwfile.unlink()
        socket_dir = str(self.socket_dir).replace("'", "''")
        settings = [
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{socket_dir}'",
            # Durability is pointless for a throw-away cluster and costs seconds per test run.
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
            # The Butler pools 40 connections per engine and tests open several engines.
            "max_connections = 200",
            "timezone = 'UTC'",
        ]
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# cm-butler-gateway tests\n" + "\n".join(settings) + "\n")

    def _start_on_free_port(self) -> None:
        # The port is free when picked but another process may take it before postgres binds it.
        for _ in range(5):
            self.port = _free_port()
            if self._pg_ctl_start(check=False):
                return
            if "could not bind" not in self._log_tail():
                break
        raise PostgresError(f"PostgreSQL did not start{self._log_tail()}")

    def _kill_postmaster(self) -> None:
        # Last resort when pg_ctl could not stop it: the first line of postmaster.pid is its pid.
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if b"postgres" not in cmdline:  # A stale pid file: never kill an unrelated process.
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)

    def _start_watchdog(self) -> None:
        read_fd, write_fd = os.pipe()  # Not inheritable: only the watchdog gets the read end.
        try:
            stop_cmd = self._command("pg_ctl", "-D", str(self.data_dir), "stop", "-m", "immediate", "-w")
            self._watchdog = subprocess.Popen(
                [sys.executable, "-c", _WATCHDOG, str(read_fd), str(self.root), *stop_cmd],
                pass_fds=(read_fd,),
                cwd="/",
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # Survive the signal that kills the test run's process group.
            )
        except BaseException:
            os.close(write_fd)
            raise
        finally:
            os.close(read_fd)
        self._watchdog_fd = write_fd

    def _stop_watchdog(self) -> None:
        if self._watchdog_fd is not None:
            with contextlib.suppress(OSError):
                os.write(self._watchdog_fd, b"x")  # "Done": the watchdog exits without acting.
            os.close(self._watchdog_fd)
            self._watchdog_fd = None
        if self._watchdog is not None:
            try:
                self._watchdog.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._watchdog.kill()
                self._watchdog.wait()
            self._watchdog = None

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except (OSError, PostgresError):
            return ""
        return "\n--- server log (tail) ---\n" + "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _untraversable_ancestor(path: Path) -> Path | None:
    """Return the first directory on `path` that other users cannot enter, if any."""
    for directory in (path, *path.parents):
        try:
            mode = directory.stat().st_mode
        except OSError:
            return directory
        if not mode & stat.S_IXOTH:
            return directory
    return None
