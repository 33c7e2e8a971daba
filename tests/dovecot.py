"""A real Dovecot IMAP server for the tests: throw-away config, certificate, user and maildir.

Each pytest process (each xdist worker) starts its own on free ports under its own temporary
directory, so parallel runs never share a server or a mailbox.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

DOVECOT = "/usr/sbin/dovecot"
# Dovecot refuses uid 0 for mail access, and the tests run as root in CI: mail belongs to this user.
MAIL_OWNER = "dovecot"
START_TIMEOUT = 20.0

CONFIG = """\
instance_name = feedback-test-{pid}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
{ssl_dh}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = {uid}
first_valid_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Dovecot:
    """A running server and helpers that look into it over IMAP, as a mail client would."""

    host: str
    port: int  # plain IMAP, STARTTLS offered
    imaps_port: int
    user: str
    password: str
    ca_file: str  # the self-signed server certificate
    root: Path

    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        imap.login(self.user, self.password)
        return imap

    def append(self, raw: bytes, folder: str = "INBOX", when: datetime | None = None) -> None:
        """Deliver one raw mail into a folder (created if missing), arriving `when` (default now)."""
        imap = self.connect()
        try:
            imap.create(_quote(folder))  # NO when it exists, which is fine
            _ok(imap.append(_quote(folder), None, when, raw))
        finally:
            imap.logout()

    def uids(self, folder: str = "INBOX") -> list[int]:
        imap = self.connect()
        try:
            _ok(imap.select(_quote(folder), readonly=True))
            found = _ok(imap.uid("SEARCH", "ALL"))[0].split()
            return [int(uid) for uid in found]
        finally:
            imap.logout()

    def flags(self, uid: int, folder: str = "INBOX") -> set[str]:
        imap = self.connect()
        try:
            _ok(imap.select(_quote(folder), readonly=True))
            line = b" ".join(_ok(imap.uid("FETCH", str(uid), "(FLAGS)")) or [b""])
            found = re.search(rb"FLAGS \(([^)]*)\)", line)
            return set(found.group(1).decode().split()) if found else set()
        finally:
            imap.logout()

    def folders(self) -> set[str]:
        imap = self.connect()
        try:
            return {_folder_name(line) for line in _ok(imap.list())}
        finally:
            imap.logout()

    def reset(self) -> None:
        """Delete every folder but INBOX and every mail in INBOX: each test starts empty."""
        imap = self.connect()
        try:
            for folder in sorted(self.folders() - {"INBOX"}, key=len, reverse=True):  # children first
                _ok(imap.delete(_quote(folder)))
            _ok(imap.select("INBOX"))
            if _ok(imap.uid("SEARCH", "ALL"))[0].split():
                _ok(imap.store("1:*", "+FLAGS.SILENT", r"(\Deleted)"))
                _ok(imap.expunge())
        finally:
            imap.logout()


def _folder_name(line: bytes) -> str:
    """The name in a LIST line such as `(\\HasNoChildren) "." "Sent Items"`."""
    name = re.match(rb'\(.*?\) (?:NIL|"(?:[^"\\]|\\.)*") (.*)$', line).group(1).decode()
    return re.sub(r'\\(.)', r"\1", name[1:-1]) if name.startswith('"') else name


def _ok(result):
    status, data = result
    assert status == "OK", f"IMAP said {status}: {data}"
    return data


@pytest.fixture(scope="session")
def dovecot():
    """Start Dovecot for this test process; stop it and remove its files at the end."""
    if not os.path.exists(DOVECOT):
        pytest.fail(
            f"{DOVECOT} is missing: the IMAP tests need Dovecot (Debian package dovecot-imapd; "
            "`make test` installs it).",
            pytrace=False,
        )
    root = Path(tempfile.mkdtemp(prefix=f"feedback-dovecot-{os.getpid()}-"))
    # Dovecot's unprivileged processes must reach the sockets and the maildir below.
    root.chmod(0o755)
    server = _configure(root)
    with open(root / "output.log", "wb") as output:  # a file, not a pipe, which could fill and block it
        process = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_listening(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _configure(root: Path) -> Dovecot:
    """Write certificate, passwd file and config; return where the server will be."""
    owner = pwd.getpwnam(MAIL_OWNER)
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem")],
        check=True, capture_output=True,
    )
    server = Dovecot(host="127.0.0.1", port=_free_port(), imaps_port=_free_port(), user="shop",
                     password="throw-away-9", ca_file=str(root / "cert.pem"), root=root)
    (root / "passwd").write_text(f"{server.user}:{server.password}\n")
    dh = Path("/usr/share/dovecot/dh.pem")
    (root / "dovecot.conf").write_text(CONFIG.format(
        pid=os.getpid(), root=root, uid=owner.pw_uid, gid=owner.pw_gid, port=server.port,
        imaps_port=server.imaps_port, ssl_dh=f"ssl_dh = <{dh}" if dh.exists() else "",
    ))
    return server


def _wait_until_listening(server: Dovecot, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            logs = [server.root / "output.log", server.root / "dovecot.log"]
            output = "\n".join(log.read_text(errors="replace") for log in logs if log.exists())
            pytest.fail(f"Dovecot exited at start:\n{output}", pytrace=False)
        try:
            for port in (server.port, server.imaps_port):
                socket.create_connection((server.host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"Dovecot did not listen on {server.port}/{server.imaps_port} within {START_TIMEOUT}s", pytrace=False)
