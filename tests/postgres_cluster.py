"""A throwaway PostgreSQL cluster for the tests: `initdb` in a temporary folder, a server on a
free loopback port (TCP 127.0.0.1 and a unix socket in that folder), a random password, and
removal afterwards. Standard library only, so `.ci/run` can use it before the venv exists:

    eval "$(python3 tests/postgres_cluster.py start)"   # exports VENDORSYNC_TEST_POSTGRES_URL/_DIR
    python3 tests/postgres_cluster.py stop "$VENDORSYNC_TEST_POSTGRES_DIR"

The test fixture (`tests/conftest.py::postgres_server`) uses the same class when no
VENDORSYNC_TEST_POSTGRES_URL is given. The server binaries are PostgreSQL's own (Debian's
postgresql-15 puts them in /usr/lib/postgresql/15/bin); VENDORSYNC_TEST_POSTGRES_BIN names
another folder. PostgreSQL refuses to run as root: as root the cluster runs as the `postgres`
user the package creates.
"""
from __future__ import annotations

import glob
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

USER = "vendorsync"          # the cluster's superuser, the one the tests connect as
URL_ENV, DIR_ENV, BIN_ENV = "VENDORSYNC_TEST_POSTGRES_URL", "VENDORSYNC_TEST_POSTGRES_DIR", "VENDORSYNC_TEST_POSTGRES_BIN"
# durability off: the cluster lives for one test run
FAST = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server can be started here; the message says what to install or set."""


def find_bindir() -> Path:
    explicit = os.environ.get(BIN_ENV)
    candidates = [explicit] if explicit else []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
                         reverse=True)
    for folder in candidates:
        if all((Path(folder) / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    raise ClusterUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found on PATH or in "
        f"/usr/lib/postgresql/*/bin: install them (Debian: apt-get install postgresql-15), set {BIN_ENV} "
        f"to their folder, or set {URL_ENV}=postgresql://user:password@host:port/db of a server "
        "where that user may create databases")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One throwaway cluster. `start()` returns it running; `stop()` removes everything."""

    def __init__(self, base: Path):
        self.base = base
        self.data = base / "data"
        self.port: int | None = None
        self.password = ""

    @property
    def url(self) -> str:
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/postgres"

    def _run_as_owner(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        """Run a server tool, as the `postgres` user when we are root."""
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, **kwargs)

    @classmethod
    def start(cls, attempts: int = 3) -> Cluster:
        bindir = find_bindir()
        owner = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterUnavailable("running as root, and PostgreSQL refuses root: create the `postgres` "
                                         "user (the postgresql package does), or run the tests as another user, "
                                         f"or set {URL_ENV}") from None
        base = Path(tempfile.mkdtemp(prefix="vendorsync-pg-"))
        cluster = cls(base)
        try:
            base.chmod(0o755)
            cluster.data.mkdir(mode=0o700)
            cluster.password = secrets.token_urlsafe(18)
            pwfile = base / "pwfile"
            pwfile.write_text(cluster.password + "\n")
            if owner:
                for path in (base, cluster.data, pwfile):
                    os.chown(path, owner.pw_uid, owner.pw_gid)
            init = cluster._run_as_owner([str(bindir / "initdb"), "-D", str(cluster.data), "-U", USER,
                                          f"--pwfile={pwfile}", "--auth-host=scram-sha-256",
                                          "--auth-local=scram-sha-256", "--encoding=UTF8",
                                          "--locale=C.UTF-8", "--no-sync"])
            pwfile.unlink()
            if init.returncode != 0:
                raise ClusterUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
            for _ in range(attempts):            # the port may be taken between choosing and binding
                cluster.port = free_port()
                options = shlex.join(["-p", str(cluster.port), "-k", str(base),
                                      "-c", "listen_addresses=127.0.0.1", *FAST])
                started = cluster._run_as_owner([str(bindir / "pg_ctl"), "-D", str(cluster.data), "-l",
                                                 str(base / "server.log"), "-o", options, "-w", "-t", "60",
                                                 "start"])
                if started.returncode == 0:
                    cluster.bindir = bindir
                    return cluster
            log = (base / "server.log").read_text()[-800:] if (base / "server.log").exists() else ""
            raise ClusterUnavailable(f"the PostgreSQL server did not start: {started.stderr.strip()} {log}")
        except BaseException:
            cluster.bindir = bindir
            cluster.stop()
            raise

    def stop(self) -> None:
        """Stop the server (if it runs) and remove the folder, whatever state they are in."""
        stop(self.base, getattr(self, "bindir", None))


def stop(base: Path, bindir: Path | None = None) -> None:
    data = Path(base) / "data"
    if (data / "postmaster.pid").exists():
        try:
            bindir = bindir or find_bindir()
            argv = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "60", "stop"]
            if os.geteuid() == 0:
                argv = ["runuser", "-u", "postgres", "--", *argv]
            subprocess.run(argv, capture_output=True, timeout=90)
        except (ClusterUnavailable, subprocess.TimeoutExpired):
            pass
    if Path(base).name.startswith("vendorsync-pg-"):     # never remove a folder we did not make
        shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["start"]:
        try:
            cluster = Cluster.start()
        except ClusterUnavailable as problem:
            print(f"postgres_cluster: {problem}", file=sys.stderr)
            return 1
        print(f"export {URL_ENV}={shlex.quote(cluster.url)} {DIR_ENV}={shlex.quote(str(cluster.base))}")
        print(f"postgres_cluster: PostgreSQL ({cluster.bindir}) on 127.0.0.1:{cluster.port}, "
              f"folder {cluster.base}", file=sys.stderr)
        return 0
    if argv[:1] == ["stop"] and len(argv) == 2:
        stop(Path(argv[1]))
        return 0
    print("usage: postgres_cluster.py start | stop FOLDER", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
