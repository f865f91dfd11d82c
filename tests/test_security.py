"""Security and trust (issue 16): output targets that cannot be turned against the user.

Every `--output` and `backup` goes through one set of target rules (tracker.safewrite): a
device or pipe is written into, never replaced; temporaries have unpredictable names and
are removed when the writer is killed; an existing file's permissions and owner are kept;
a terminal gets no escape sequences. The permission and symlink cases run as another user
(`nobody`, via setpriv) in a shared sticky folder, as they would on a shared drive.
"""

from __future__ import annotations

import hashlib
import io
import os
import pty
import re
import select
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, in_ci
from conftest import TODAY as TODAY_DATE

from tracker.domain.records import ActionChanges
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.store import Store

ACTION = "staffordshire-2024-ilacs:R1.3"
NOBODY = 65534
HOSTILE = "evidence \x1b]0;pwned\x07 \x1b]52;c;aGVsbG8=\x07 \x1b[2J\x9b31m end"


def _make_store(path: Path, *, hostile: bool = False) -> None:
    store = Store.open(str(path))
    sample = SAMPLES / "staffordshire-2024-ilacs.toml"
    store.import_plans([(sample.name, load_plan_file(sample))], user="seed")
    if hostile:
        store.update_action(ACTION, ActionChanges(evidence=HOSTILE), user="seed")
    store.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _state(path: Path) -> tuple[int, int, int, int]:
    """A file's type and permission bits, owner and group."""
    info = os.stat(path)
    return stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid


def _as_nobody() -> list[str]:
    """A prefix that runs a command as the unprivileged user `nobody`."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a command as another user")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        if in_ci():
            pytest.fail(
                "setpriv is needed in CI to test file permissions: apt-get install util-linux"
            )
        pytest.skip("setpriv is not installed: file permissions cannot be tested")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


@pytest.fixture
def shared() -> Iterator[Path]:
    """A shared folder like /tmp (everyone may write, sticky), reachable by `nobody`."""
    folder = Path(tempfile.mkdtemp(prefix="tracker-shared-", dir="/tmp"))
    folder.chmod(0o1777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def store(shared: Path) -> Path:
    path = shared / "tracker.db"
    _make_store(path, hostile=True)
    path.chmod(0o644)
    return path


def _run(
    argv: list[str], *, prefix: list[str] | None = None, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [*(prefix or []), sys.executable, "-m", "tracker", *argv],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd="/",
        **kwargs,
    )


WRITERS = {
    "export": lambda db, out: ["--db", str(db), "export", "-o", str(out)],
    "backup": lambda db, out: ["--db", str(db), "backup", "--force", str(out)],
}


# --- 1. devices and pipes are written into, never replaced -------------------------------------


@pytest.mark.parametrize("writer", list(WRITERS))
def test_dev_null_stays_a_device(writer: str, store: Path) -> None:
    before = _state(Path("/dev/null"))
    done = _run(WRITERS[writer](store, "/dev/null"))
    assert (done.returncode, done.stderr.count("error")) == (0, 0), done.stderr
    assert _state(Path("/dev/null")) == before
    assert stat.S_ISCHR(before[0])


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("writer", list(WRITERS))
def test_dev_full_stays_a_device_and_says_the_disk_is_full(writer: str, store: Path) -> None:
    before = _state(Path("/dev/full"))
    done = _run(WRITERS[writer](store, "/dev/full"))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "tracker: error: cannot write the output: No space left on device; "
        "what was written is incomplete"
    ]
    assert _state(Path("/dev/full")) == before


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_fifo_is_written_into_and_a_missing_reader_is_said(
    writer: str, store: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "to-excel"
    os.mkfifo(fifo)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", *WRITERS[writer](store, fifo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stderr is not None
    ready, _, _ = select.select([proc.stderr], [], [], 30)
    assert ready, "nothing said while waiting for a reader"
    said = proc.stderr.readline().decode()
    assert said == (
        f"tracker: {fifo}: waiting for a program to read this named pipe (ctrl+c to give up)\n"
    )
    received = fifo.read_bytes()
    assert proc.wait(timeout=30) == 0
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    if writer == "backup":
        assert received.startswith(b"SQLite format 3\x00")
    else:
        assert received.startswith("\ufeffas_of,plan".encode())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["to-excel"]


def test_a_terminal_is_refused_as_a_backup_target(store: Path) -> None:
    master, slave = pty.openpty()
    name = os.ttyname(slave)
    try:
        done = _run(WRITERS["backup"](store, name))
    finally:
        os.close(master)
        os.close(slave)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"tracker: error: {name}: is a terminal; give a file name (or pipe the copy)"
    ]


# --- 2. no temporary-file race; temporaries removed when killed ---------------------------------


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_planted_temporary_name_is_never_followed(writer: str, store: Path, shared: Path) -> None:
    """Another user plants the old predictable `.NAME.PID.tmp` as a link to a root-only file.

    `exec` keeps the shell's PID, so the link has exactly the name the old code used.
    """
    private = Path(tempfile.mkdtemp(prefix="tracker-private-", dir="/tmp"))
    try:
        private.chmod(0o700)
        secret = private / "shadow"
        secret.write_text("root's secret\n", encoding="utf-8")
        secret.chmod(0o600)
        before = (_digest(secret), _state(secret))
        out = shared / "out.file"
        argv = " ".join(f"'{a}'" for a in WRITERS[writer](store, out))
        planted = f"{shared}/.out.file.$$.tmp"
        script = (
            f"ln -s {secret} {planted} && chown -h {NOBODY}:{NOBODY} {planted} && "
            f"exec {sys.executable} -m tracker {argv}"
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            ["sh", "-c", script], capture_output=True, text=True, check=False, env=env
        )
        assert done.returncode == 0, done.stderr
        assert (_digest(secret), _state(secret)) == before
        assert sorted(p.name for p in private.iterdir()) == ["shadow"]
        links = [p for p in shared.iterdir() if p.is_symlink()]
        assert len(links) == 1  # the planted link is left alone, and nothing else remains
        assert sorted(
            p.name for p in shared.iterdir() if not p.is_symlink() and "tracker.db" not in p.name
        ) == ["out.file"]
        head = out.read_bytes()[:16]
        assert head == (b"SQLite format 3\x00" if writer == "backup" else head)
    finally:
        shutil.rmtree(private, ignore_errors=True)


KILLED = """
import os, signal, sys, time
from pathlib import Path
from tracker.formats.outfile import open_output
from tracker.safewrite import examine, install_file
target = Path(sys.argv[1])
signum = int(sys.argv[2])
if sys.argv[3] == "text":
    with open_output(target) as out:
        out.write("half an export" * 1000)
        os.kill(os.getpid(), signum)
        time.sleep(30)
else:
    with install_file(examine(target)) as temp:
        temp.write_bytes(b"half a backup")
        os.kill(os.getpid(), signum)
        time.sleep(30)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
@pytest.mark.parametrize("kind", ["text", "backup"])
def test_a_killed_writer_leaves_no_temporary(tmp_path: Path, signum: int, kind: str) -> None:
    target = tmp_path / "out.csv"
    target.write_text("the last good export\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", KILLED, str(target), str(int(signum)), kind],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=60,
    )
    assert done.returncode != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    assert target.read_text(encoding="utf-8") == "the last good export\n"


def test_a_terminated_export_through_the_cli_says_so_and_cleans_up(
    store: Path, tmp_path: Path
) -> None:
    """SIGTERM during a real export: exit 143, one line, no temporary left."""
    out = tmp_path / "snapshot.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", "--db", str(store), "export", "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(
        p.name.endswith(".tmp") for p in tmp_path.iterdir()
    ):
        time.sleep(0.001)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert proc.returncode in (0, 143, -signal.SIGTERM)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# --- 3. an existing file's permissions and owner are respected ---------------------------------


def _owned(path: Path, text: str, mode: int, uid: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.chown(path, uid, uid)
    path.chmod(mode)


@pytest.mark.parametrize("writer", list(WRITERS))
@pytest.mark.parametrize(
    ("owner", "mode", "allowed"),
    [
        (NOBODY, 0o444, False),  # the user's own read-only file: `>` says Permission denied
        (NOBODY, 0o600, True),  # the user's private file: stays private
        (NOBODY, 0o640, True),
        (0, 0o444, False),  # root's read-only file in the user's folder: never taken over
        (0, 0o644, False),  # root's file the user may not write: refused though the folder is
        (0, 0o666, True),  # root's file the user may write: written into, still root's
    ],
)
def test_an_existing_files_permissions_are_respected(
    writer: str, owner: int, mode: int, allowed: bool, store: Path, shared: Path
) -> None:
    folder = shared / "mine"
    folder.mkdir()
    os.chown(folder, NOBODY, NOBODY)
    target = folder / "out.file"
    _owned(target, "the last one\n", mode, owner)
    before = _state(target)
    done = _run(WRITERS[writer](store, target), prefix=_as_nobody())
    after = _state(target)
    assert after == before  # type, mode, owner and group
    if allowed:
        assert (done.returncode, done.stderr) == (0, done.stderr), done.stderr
        assert done.returncode == 0, done.stderr
        assert target.read_text(encoding="utf-8", errors="replace") != "the last one\n"
    else:
        assert done.returncode == 1
        assert done.stderr.splitlines() == [
            f"tracker: error: {target}: cannot write here (permission denied)"
        ]
        assert target.read_text(encoding="utf-8") == "the last one\n"
    assert sorted(p.name for p in folder.iterdir()) == ["out.file"]


@pytest.mark.parametrize("writer", list(WRITERS))
def test_root_replacing_a_users_file_gives_it_back(writer: str, store: Path, shared: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    target = shared / "theirs.file"
    _owned(target, "theirs\n", 0o640, NOBODY)
    before = _state(target)
    done = _run(WRITERS[writer](store, target))
    assert done.returncode == 0, done.stderr
    assert _state(target) == before
    assert target.read_bytes() != b"theirs\n"


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_new_file_gets_the_usual_mode(writer: str, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "new.file"
    old = os.umask(0o027)
    try:
        done = _run(WRITERS[writer](store, target))
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


# --- 7. standard output into a pipe; a trailing slash means a folder ---------------------------

TO_STDOUT = {
    "export": ["export", "-o", "/dev/stdout"],
    "report": ["report", "-o", "/dev/stdout"],
    "changes": ["changes", "--since", "2020-01-01", "-o", "/dev/stdout"],
    "calendar": ["calendar", "-o", "/dev/stdout"],
    "export-plan": ["export-plan", "staffordshire-2024-ilacs", "-o", "/dev/stdout"],
    "backup": ["backup", "/dev/stdout"],
}


@pytest.mark.parametrize("command", list(TO_STDOUT))
def test_dev_stdout_into_a_pipe(command: str, store: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", str(store), *TO_STDOUT[command]],
        capture_output=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"error" not in done.stderr
    assert len(done.stdout) > 100
    if command == "backup":
        assert done.stdout.startswith(b"SQLite format 3\x00")


@pytest.mark.parametrize("command", ["export", "report", "calendar", "export-plan", "changes"])
def test_dev_stdout_into_head_is_quiet(command: str, store: Path) -> None:
    argv = " ".join(TO_STDOUT[command])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        ["sh", "-c", f"{sys.executable} -m tracker --db {store} {argv} | head -c 10"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0
    assert "error" not in done.stderr


@pytest.mark.parametrize("writer", list(WRITERS))
@pytest.mark.parametrize("exists", [False, True])
def test_a_trailing_slash_means_a_folder(
    writer: str, exists: bool, store: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if exists:
        (out / "nofile").mkdir()
    done = _run(WRITERS[writer](store, f"{out}/nofile/"))
    assert done.returncode == 1
    reason = (
        "is a folder; give a file name"
        if exists
        else ("names a folder (it ends in /) that does not exist")
    )
    assert done.stderr.splitlines() == [f"tracker: error: {out}/nofile/: {reason}"]
    assert [p.name for p in out.iterdir()] == (["nofile"] if exists else [])


# --- 6. a terminal device gets no escape sequences ---------------------------------------------

RAW = ("\x1b", "\x07", "\x9b")


def _read_all(master: int, proc: subprocess.Popen[bytes]) -> bytes:
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    return b"".join(chunks)


@pytest.mark.parametrize("how", ["pts", "dev-tty", "dev-stdout"])
@pytest.mark.parametrize("command", ["export", "export-plan", "changes", "report"])
def test_a_terminal_given_as_output_gets_no_escapes(how: str, command: str, store: Path) -> None:
    argv = TO_STDOUT[command][:-1]  # everything but the target after -o
    master, slave = pty.openpty()
    name = os.ttyname(slave)
    target = {"pts": name, "dev-tty": "/dev/tty", "dev-stdout": "/dev/stdout"}[how]

    def controlling_terminal() -> None:
        import fcntl
        import termios

        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", "--db", str(store), *argv, target],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=controlling_terminal,
        pass_fds=(slave,),
    )
    os.close(slave)
    shown = _read_all(master, proc)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    os.close(master)
    text = shown.decode("utf-8", errors="replace")
    if command == "export":
        assert "evidence" in text
        assert " end" in text
        assert "pwned" not in text
    assert len(text) > 50
    for raw in RAW:
        assert raw not in text, (raw, text[:400])


def test_a_pipe_still_gets_the_exact_text(store: Path) -> None:
    """Stripping is for terminals only: a file or a pipe gets plan text exactly."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", str(store), "export", "-o", "/dev/stdout"],
        capture_output=True,
        env=env,
        check=False,
    )
    assert HOSTILE.encode() in done.stdout


def test_the_fixture_store_is_hostile(store: Path) -> None:
    conn = sqlite3.connect(store)
    try:
        (evidence,) = conn.execute("SELECT evidence FROM action WHERE ref = 'R1.3'").fetchone()
    finally:
        conn.close()
    assert evidence == HOSTILE


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_writable_file_in_a_folder_the_user_may_not_write(
    writer: str, store: Path, shared: Path
) -> None:
    """As the shell's `>` does: written in place, its owner and mode kept, nothing beside it."""
    folder = shared / "published"
    folder.mkdir()
    target = folder / "out.file"
    _owned(target, "the last one\n", 0o644, NOBODY)
    folder.chmod(0o755)
    before = _state(target)
    done = _run(WRITERS[writer](store, target), prefix=_as_nobody())
    assert done.returncode == 0, done.stderr
    assert _state(target) == before
    assert target.read_bytes() != b"the last one\n"
    assert sorted(p.name for p in folder.iterdir()) == ["out.file"]


# --- 4. --read-only holds for every command ----------------------------------------------

MEASURE = "staffordshire-2024-ilacs:M1.99"
OWNER = "Principal Social Worker"
SHEET = (
    "Ref,Recommendation,Action,Lead Officer,Target Date,STATUS\n"
    "1,Improve supervision,,,,\n"
    "1.1,,Do a thing,Head of Service,31/12/2026,In progress\n"
)

# A run of each command that writes (it succeeds without --read-only). A new write command
# must be added here, or test_every_command_is_declared_and_every_writer_has_a_sample fails.
WRITE_SAMPLES: dict[str, list[str]] = {
    "update": ["update", ACTION, "--progress", "70", "--note", "review"],
    "import": ["import", str(SAMPLES / "stoke-on-trent-2022-ilacs.toml")],
    "import --replace": [
        "import",
        "--replace",
        str(SAMPLES / "staffordshire-2024-ilacs.toml"),
    ],
    "import-sheet": [
        "import-sheet",
        "{sheet}",
        "--plan",
        "sheet-plan",
        "--authority",
        "A Council",
        "--title",
        "From a sheet",
    ],
    "owner set": ["owner", "set", "{owner}", "--email", "psw@council.example"],
    "owner rename": ["owner", "rename", "{owner}", "Head of Children's Services"],
    "reading add": ["reading", "add", MEASURE, "--period", "2026-10", "--value", "80"],
    "reading import": ["reading", "import", "{readings}"],
    "add-measure": [
        "add-measure",
        "staffordshire-2024-ilacs:R1",
        "--name",
        "Visits on time",
        "--direction",
        "up",
        "--target",
        "95",
    ],
    "edit-measure": ["edit-measure", MEASURE, "--target", "85"],
    # Sent to a real SMTP server on 127.0.0.1 (tests/smtp_support.py), to an owner given
    # an address first: each message sent is recorded in the store.
    "remind --smtp": ["remind", "--smtp", "{smtp}", "--from", "board@council.example"],
    "new-plan": ["new-plan", "fresh-plan", "--authority", "A Council", "--title", "T"],
    "edit-plan": ["edit-plan", "staffordshire-2024-ilacs", "--judgement", "Overall=Good"],
    "add-rec": ["add-rec", "staffordshire-2024-ilacs", "--title", "A new one"],
    "edit-rec": ["edit-rec", "staffordshire-2024-ilacs:R1", "--title", "Renamed"],
    "add-action": [
        "add-action",
        "staffordshire-2024-ilacs:R1",
        "--description",
        "Do a thing",
        "--owner",
        "Head of Service",
        "--deadline",
        "+1m",
    ],
    "move": ["move", ACTION, "--to", "staffordshire-2024-ilacs:R2"],
    "carry-forward": ["carry-forward", "staffordshire-2024-ilacs", "--to", "next-plan"],
    "undo": ["undo"],
}
# A run of each command that only reads; it must work under --read-only.
READ_SAMPLES: dict[str, list[str] | None] = {
    "demo": None,  # opens the UI on a throwaway store of its own
    "plans": ["plans"],
    "check": ["check"],
    "list": ["list"],
    "overdue": ["overdue", "--format", "json"],
    "show": ["show", ACTION, "--format", "json"],
    "export": ["export"],
    "export-plan": ["export-plan", "staffordshire-2024-ilacs"],
    "calendar": ["calendar"],
    "backup": ["backup", "{copy}"],
    "changes": ["changes", "--since", "2020-01-01"],
    "report": ["report"],
    "owners": ["owners"],
    "owner show": ["owner", "show", "{owner}"],
    "measures": ["measures"],
    "reading list": ["reading", "list", MEASURE],
    # An owner with nothing flagged: owners without an address would be named on stderr.
    "remind --dry-run": ["remind", "--dry-run", "--owner", "{owner}"],
    "undo --dry-run": ["undo", "--dry-run"],
    "import-sheet --dry-run": [
        "import-sheet",
        "{sheet}",
        "--plan",
        "sheet-plan",
        "--authority",
        "A Council",
        "--title",
        "From a sheet",
        "--dry-run",
    ],
}


def _help_commands() -> list[str]:
    """The commands `tracker --help` lists."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    shown = subprocess.run(
        [sys.executable, "-m", "tracker", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    lines = shown.split("positional arguments:", 1)[1].split("options:", 1)[0].splitlines()
    return [m.group(1) for ln in lines if (m := re.match(r"^    (\S+)", ln))]


def test_every_command_is_declared_and_every_writer_has_a_sample(tmp_path: Path) -> None:
    from tracker.cli.context import command_writes, declared_use
    from tracker.cli.main import build_parser

    _, commands = build_parser()
    listed = _help_commands()
    assert sorted(listed) == sorted(commands)
    undeclared = [n for n in listed if declared_use(commands[n]) is None]
    assert undeclared == [], (
        "declare each command with @reads_store or @writes_store (tracker/cli/context.py)"
    )
    writers = {n for n in listed if declared_use(commands[n]) == "writes"}
    sampled = {argv[0] for argv in WRITE_SAMPLES.values()}
    assert writers == sampled, "add a run of each write command to WRITE_SAMPLES"
    # A command whose subcommands read or write must have a sample of each kind.
    for label, argv in WRITE_SAMPLES.items():
        args = build_parser()[0].parse_args(_fill(argv, tmp_path))
        assert command_writes(commands[argv[0]], args), label
    for label, maybe in READ_SAMPLES.items():
        if maybe is not None:
            args = build_parser()[0].parse_args(_fill(maybe, tmp_path))
            assert not command_writes(commands[maybe[0]], args), label
    readers = {n for n in listed if declared_use(commands[n]) == "reads"}
    assert readers <= {k.split()[0] for k in READ_SAMPLES}, "add each reader to READ_SAMPLES"


def _store_state(url: str, folder: Path) -> object:
    """The store's bytes (SQLite: the file and its companions) or every row (PostgreSQL)."""
    if url.startswith("sqlite"):
        # The file and any content in its -wal. A reader in WAL mode may leave an empty -wal
        # and the -shm index (shared memory, not data) beside a store it cannot change.
        return sorted(
            (p.name, _digest(p))
            for p in folder.iterdir()
            if p.name == "tracker.db" or (p.name == "tracker.db-wal" and p.stat().st_size)
        )
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            return [
                (t, conn.execute(text(f'SELECT * FROM "{t}" ORDER BY 1')).all()) for t in tables
            ]
    finally:
        engine.dispose()


@pytest.fixture
def seeded(
    one_plan_store: Store, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> str:
    """One plan, an owner and a measure; the store closed, as a user would find it."""
    from tracker import cli

    one_plan_store.close()
    status = cli.main(
        [
            "--db",
            db_url,
            "add-measure",
            "staffordshire-2024-ilacs:R1",
            "--ref",
            "M1.99",
            "--name",
            "Supervision on time",
            "--direction",
            "up",
            "--target",
            "90",
        ]
    )
    assert status == 0, capsys.readouterr().err
    # A plan to carry forward to, and a change of this user's for `undo` to take back.
    for argv in (
        ["new-plan", "next-plan", "--authority", "A Council", "--title", "Next"],
        ["update", ACTION, "--note", "seeded"],
    ):
        assert cli.main(["--db", db_url, *argv]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return db_url


def _fill(argv: list[str], tmp_path: Path, smtp: str = "127.0.0.1:25") -> list[str]:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    readings = tmp_path / "readings.csv"
    readings.write_text(f"measure,period,value,note\n{MEASURE},2026-09,81,\n", encoding="utf-8")
    return [
        a.format(sheet=sheet, copy=tmp_path / "copy.db", readings=readings, owner=OWNER, smtp=smtp)
        for a in argv
    ]


@pytest.fixture
def sample_smtp(request: pytest.FixtureRequest, seeded: str) -> Iterator[str]:
    """For the remind sample: a real SMTP server on 127.0.0.1, and an owner with overdue
    actions given an address (before the store's state is taken)."""
    if "{smtp}" not in WRITE_SAMPLES[request.node.callspec.params["sample"]]:
        yield "127.0.0.1:25"
        return
    from smtp_support import MailServer

    from tracker import cli

    with MailServer() as server:
        lado = ["owner", "set", "LADO Manager", "--email", "lado@council.example"]
        assert cli.main(["--db", seeded, *lado], out=io.StringIO()) == 0
        yield server.address


@pytest.mark.parametrize("how", ["flag-first", "flag-after", "env"])
@pytest.mark.parametrize("sample", list(WRITE_SAMPLES))
def test_every_write_command_refuses_under_read_only(
    sample: str,
    how: str,
    seeded: str,
    sample_smtp: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tracker import cli

    argv = _fill(WRITE_SAMPLES[sample], tmp_path, sample_smtp)
    before = _store_state(seeded, tmp_path)
    if how == "env":
        monkeypatch.setenv("TRACKER_READ_ONLY", "1")
        full = ["--db", seeded, *argv]
        source = "TRACKER_READ_ONLY=1"
    elif how == "flag-first":
        full = ["--read-only", "--db", seeded, *argv]
        source = "--read-only"
    else:
        full = ["--db", seeded, *argv, "--read-only"]
        source = "--read-only"
    status = cli.main(full)
    captured = capsys.readouterr()
    assert status == 1
    assert captured.err.splitlines() == [
        f"tracker: error: {source}: '{argv[0]}' would change the store; nothing was changed"
    ]
    assert captured.out == ""
    assert _store_state(seeded, tmp_path) == before
    # The same run without read-only does change the store: the sample is a real write.
    monkeypatch.delenv("TRACKER_READ_ONLY", raising=False)
    assert cli.main(["--db", seeded, *argv]) == 0, capsys.readouterr().err
    assert _store_state(seeded, tmp_path) != before


@pytest.mark.parametrize("sample", [k for k, v in READ_SAMPLES.items() if v is not None])
def test_every_read_command_works_under_read_only(
    sample: str, seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker import cli

    argv = _fill(READ_SAMPLES[sample] or [], tmp_path)
    before = _store_state(seeded, tmp_path)
    status = cli.main(["--read-only", "--db", seeded, *argv])
    captured = capsys.readouterr()
    if sample == "backup" and not seeded.startswith("sqlite"):
        assert status == 1  # PostgreSQL is backed up with pg_dump
    else:
        assert (status, captured.err) == (0, captured.err if sample == "backup" else ""), (
            captured.err
        )
        assert status == 0, captured.err
    assert _store_state(seeded, tmp_path) == before


def test_read_only_leaves_a_rollback_journal_store_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store restored from a backup is in rollback mode: a read would switch it to WAL."""
    from tracker import cli

    live = tmp_path / "live.db"
    _make_store(live)
    restored = tmp_path / "tracker.db"
    assert cli.main(["--db", str(live), "backup", str(restored)]) == 0
    before = _store_state(f"sqlite:///{restored}", tmp_path)
    for argv in (["list"], ["plans"], ["report"], ["show", ACTION]):
        assert cli.main(["--read-only", "--db", str(restored), *argv]) == 0
    assert _store_state(f"sqlite:///{restored}", tmp_path) == before
    capsys.readouterr()


def test_a_bad_tracker_read_only_value_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker import cli

    monkeypatch.setenv("TRACKER_READ_ONLY", "perhaps")
    assert cli.main(["list"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "tracker: error: TRACKER_READ_ONLY must be 1 or 0, not 'perhaps'"
    ]


def test_a_read_command_cannot_write_through_its_store(
    seeded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By construction: the store a read command opens refuses a change."""
    import argparse

    from tracker.cli.context import Context
    from tracker.domain.errors import ReadOnlyError
    from tracker.domain.rules import RuleSettings

    ctx = Context(
        args=argparse.Namespace(db=seeded),
        settings=RuleSettings(today=TODAY_DATE),
        user="x",
        out=sys.stdout,
        writes=False,
        command="report",
    )
    store = ctx.open_store(create=False)
    try:
        with pytest.raises(ReadOnlyError, match="'report' only reads the store"):
            store.update_action(ACTION, ActionChanges(progress=5), user="x")
    finally:
        store.close()


# --- 5. a read-only reviewer sees live changes ---------------------------------------------------

REVIEWER = """
import sys, time
from datetime import date
from tracker.domain.records import Filters
from tracker.domain.rules import RuleSettings
from tracker.tui.data import StoreAccess

access = StoreAccess.open(sys.argv[1])
store = access.full()
settings = RuleSettings(today=date(2026, 11, 25))
print("opened", store.read_only, "immutable=1" in str(store.engine.url), flush=True)
first = access.view_counts(filters=Filters(), settings=settings).total
print("actions", first, flush=True)
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    access.data_stamp()
    total = access.view_counts(filters=Filters(), settings=settings).total
    if total != first:
        print("actions", total, flush=True)
        break
    time.sleep(0.5)
access.close()
"""


def test_a_read_only_reviewer_sees_live_changes(shared: Path) -> None:
    """The reviewer may not write the folder; the store was idle when they opened it."""
    folder = shared / "published"
    folder.mkdir()
    path = folder / "tracker.db"
    _make_store(path)
    folder.chmod(0o755)  # root's folder: the reviewer (nobody) may only read it
    assert sorted(p.name for p in folder.iterdir()) == ["tracker.db"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    reviewer = subprocess.Popen(
        [*_as_nobody(), sys.executable, "-c", REVIEWER, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd="/",
    )
    assert reviewer.stdout is not None
    assert reviewer.stdout.readline() == "opened True True\n"  # immutable: no -shm to share
    first = reviewer.stdout.readline()
    assert first.startswith("actions ")
    started = time.monotonic()
    store = Store.open(str(path))  # a writer (the lead) starts work
    try:
        sample = SAMPLES / "stoke-on-trent-2022-ilacs.toml"
        store.import_plans([(sample.name, load_plan_file(sample))], user="lead")
        seen = reviewer.stdout.readline()
        waited = time.monotonic() - started
    finally:
        store.close()
    _, err = reviewer.communicate(timeout=60)
    assert err == ""
    assert seen.startswith("actions ")
    assert int(seen.split()[1]) > int(first.split()[1])
    assert waited < 10, waited


def test_a_reviewer_follows_a_writer_that_came_and_went(shared: Path) -> None:
    """A writer that wrote and closed between two polls leaves no -shm: the file changed."""
    folder = shared / "published"
    folder.mkdir()
    path = folder / "tracker.db"
    _make_store(path)
    folder.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    reviewer = subprocess.Popen(
        [*_as_nobody(), sys.executable, "-c", REVIEWER.replace("0.5)", "2.0)"), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd="/",
    )
    assert reviewer.stdout is not None
    assert reviewer.stdout.readline() == "opened True True\n"
    first = reviewer.stdout.readline()
    # The lead's import, in a process of its own that ends: its WAL is folded back.
    sample = SAMPLES / "stoke-on-trent-2022-ilacs.toml"
    done = _run(["--db", str(path), "import", str(sample)])
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["tracker.db"]
    out, err = reviewer.communicate(timeout=60)
    assert err == ""
    assert int(out.split()[-1]) > int(first.split()[1])


# --- 8. one date range at every door -------------------------------------------------------------

PLAN_WITH = """[plan]
key = "far"
authority = "A Council"
title = "Dates"

[[recommendations]]
ref = "R1"
title = "One"

[[recommendations.actions]]
ref = "R1.1"
description = "Something"
owner = "Someone"
deadline = {deadline}
status = "not_started"
"""


@pytest.mark.parametrize("deadline", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_a_plan_file_date_outside_the_range_is_refused(
    deadline: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker import cli

    plan = tmp_path / "far.toml"
    plan.write_text(PLAN_WITH.format(deadline=deadline), encoding="utf-8")
    db = tmp_path / "t.db"
    assert cli.main(["--db", str(db), "import", str(plan)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"tracker: error: {plan}: recommendations[1].actions[1].deadline: {deadline}: "
        "a date must be in the years 1900 to 2199"
    )
    assert err[-1] == "tracker: error: nothing was imported"
    assert not db.exists()


@pytest.mark.parametrize("deadline", ["1900-01-01", "2199-12-31"])
def test_the_ends_of_the_range_are_accepted_and_the_calendar_works(
    deadline: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker import cli

    plan = tmp_path / "far.toml"
    plan.write_text(PLAN_WITH.format(deadline=deadline), encoding="utf-8")
    db = str(tmp_path / "t.db")
    assert cli.main(["--db", db, "import", str(plan)]) == 0
    assert cli.main(["--db", db, "calendar"]) == 0
    assert f"DTSTART;VALUE=DATE:{deadline.replace('-', '')}" in capsys.readouterr().out
    assert (
        cli.main(["--db", db, "update", "far:R1.1", "--deadline", "2030-01-01", "--reason", "x"])
        == 0
    )


def test_a_calendar_skips_a_date_an_older_tracker_let_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker import cli

    db = tmp_path / "t.db"
    _make_store(db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE action SET deadline = '9999-12-31' WHERE ref = 'R1.3'")
    conn.commit()
    conn.close()
    assert cli.main(["--db", str(db), "calendar"]) == 0
    out = capsys.readouterr().out
    assert "BEGIN:VCALENDAR" in out
    assert "99991231" not in out


SHEET_DATES = (
    "Ref,Recommendation,Action,Lead Officer,Target Date,STATUS\n"
    "1,Improve supervision,,,,\n"
    "1.1,,Do a thing,Head of Service,{date},In progress\n"
)


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("Dec-9999", "'Dec-9999': a date must be in the years 1900 to 2199"),
        ("Jan 1066", "'Jan 1066' is 1066-01-31: a date must be in the years 1900 to 2199"),
        ("Mar 2250", "'Mar 2250' is 2250-03-31: a date must be in the years 1900 to 2199"),
        ("31/12/2200", "'31/12/2200' is 2200-12-31: a date must be in the years 1900 to 2199"),
    ],
)
@pytest.mark.parametrize("dry_run", [True, False])
def test_a_sheet_date_outside_the_range_is_refused(
    cell: str, shown: str, dry_run: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker import cli

    sheet = tmp_path / "sheet.csv"
    sheet.write_text(SHEET_DATES.format(date=cell), encoding="utf-8")
    db = tmp_path / "t.db"
    argv = ["--db", str(db), "import-sheet", str(sheet), "--plan", "p", "--authority", "A"]
    argv += ["--title", "T", *(["--dry-run"] if dry_run else [])]
    assert cli.main(argv) == 1
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text
    assert f"row 3: target date: {shown}" in text.replace("Target Date", "target date"), text
    assert not db.exists()


@pytest.mark.parametrize(
    "now", ["0001-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-05:00"]
)
def test_tracker_now_outside_the_range_is_a_usage_error(
    now: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from tracker import cli

    monkeypatch.setenv("TRACKER_NOW", now)
    assert cli.main(["--db", str(tmp_path / "t.db"), "list"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("tracker: error: TRACKER_NOW: ")
    assert "1900 to 2199" in err[0]


def test_the_crash_log_is_written_whatever_tracker_now_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib

    cli_main = importlib.import_module("tracker.cli.main")
    monkeypatch.setenv("TRACKER_NOW", "0001-01-01T00:00:00Z")
    where = cli_main._report_crash(RuntimeError("a bug"))
    assert where.endswith("tracker.log")
    assert "RuntimeError: a bug" in Path(where).read_text(encoding="utf-8")


# --- 9. encodings ----------------------------------------------------------------------------


def test_a_sheet_mixing_utf8_and_cp1252_is_refused_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker import cli

    sheet = tmp_path / "mixed.csv"
    sheet.write_bytes(
        b"Ref,Recommendation,Action,Lead Officer,Target Date,STATUS\n"
        b"1,Improve the caf\xc3\xa9 offer,,,,\n"
        b"1.1,,Open the caf\xe9,Head of Service,31/12/2026,In progress\n"
    )
    db = tmp_path / "t.db"
    argv = ["--db", str(db), "import-sheet", str(sheet), "--plan", "p", "--authority", "A"]
    assert cli.main([*argv, "--title", "T"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"tracker: error: {sheet}: line 3: not UTF-8, although other lines are: the file mixes "
        "encodings; save the sheet again as 'CSV UTF-8' and import that"
    ]
    assert not db.exists()


def test_a_cp1252_sheet_still_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tracker import cli

    sheet = tmp_path / "excel.csv"
    sheet.write_bytes(
        b"Ref,Recommendation,Action,Lead Officer,Target Date,STATUS\n"
        b"1,Improve the caf\xe9 offer,,,,\n"
        b"1.1,,Open the caf\xe9 \x96 soon,Head of Service,31/12/2026,In progress\n"
    )
    db = str(tmp_path / "t.db")
    argv = ["--db", db, "import-sheet", str(sheet), "--plan", "p", "--authority", "A"]
    assert cli.main([*argv, "--title", "T"]) == 0
    assert cli.main(["--db", db, "show", "p:R1.1", "--format", "json"]) == 0
    assert "Open the café – soon" in capsys.readouterr().out


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("command", [["list"], ["show", ACTION], ["plans"], ["overdue"]])
def test_output_in_any_encoding_degrades_never_fails(
    encoding: str, command: list[str], tmp_path: Path
) -> None:
    db = tmp_path / "t.db"
    _make_store(db)
    store = Store.open(str(db))
    store.update_action(ACTION, ActionChanges(owner="Équipe “Sécurité” … ✓"), user="x")
    store.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": encoding}
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", str(db), *command],
        capture_output=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    assert done.stdout


@pytest.mark.parametrize("closed", ["stdout", "both"])
def test_a_closed_standard_output_is_not_a_crash(closed: str, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _make_store(db)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    redirect = ">&-" if closed == "stdout" else ">&- 2>&-"
    done = subprocess.run(
        ["sh", "-c", f"{sys.executable} -m tracker --db {db} list {redirect}; echo $?"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.stdout == "0\n"
    assert "Traceback" not in done.stderr


# --- 10. damaged stores, tracker check, the default folder -------------------------------------


def _damage(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.executescript(sql)
    conn.commit()
    conn.close()


DAMAGE = {
    "schema version not a number": (
        "UPDATE meta SET value = 'two' WHERE key = 'schema_version'",
        "the store is damaged (its schema version 'two' is not a number)",
        "the schema version 'two' is not a number",
    ),
    "history table dropped": (
        "DROP TRIGGER history_no_update; DROP TRIGGER history_no_delete; DROP TABLE history",
        "the store is damaged (the history table is missing)",
        "the history table is missing",
    ),
    "not a date in a date column": (
        "UPDATE action SET deadline = 'not-a-date' WHERE ref = 'R1.3'",
        "the store is damaged (",
        "deadline 'not-a-date' is not a date",
    ),
    "random bytes in a text column": (
        "UPDATE action SET description = CAST(x'ff00fe41c3' AS TEXT) WHERE ref = 'R1.3'",
        "the store is damaged (",
        "description is not valid UTF-8 text",
    ),
}
RESTORE = (
    "run 'tracker check' to list every problem, then restore the latest backup "
    "(README: Backups and restore)"
)


@pytest.mark.parametrize("argv", [["list"], ["export"], ["show", ACTION], ["report"], ["plans"]])
@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_store_is_one_line_naming_it_and_the_way_back(
    kind: str, argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker import cli

    path = tmp_path / "tracker.db"
    _make_store(path)
    sql, said, _ = DAMAGE[kind]
    _damage(path, sql)
    digest = _digest(path)
    status = cli.main(["--db", str(path), *argv])
    lines = capsys.readouterr().err.splitlines()
    if kind in ("not a date in a date column", "random bytes in a text column") and argv[0] in (
        "plans",
    ):
        assert status in (0, 1)  # counts may not read the damaged value
        return
    assert status == 1, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"tracker: error: {path}: {said}")
    assert lines[0].endswith(RESTORE)
    assert _digest(path) == digest


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_tracker_check_names_each_problem(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker import cli

    path = tmp_path / "tracker.db"
    _make_store(path)
    assert cli.main(["--db", str(path), "check"]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: ok: 1 plan, ")
    sql, _, problem = DAMAGE[kind]
    _damage(path, sql)
    digest = _digest(path)
    assert cli.main(["--db", str(path), "check"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert any(problem in line for line in lines), lines
    assert all(line.startswith(f"tracker: error: {path}: ") for line in lines)
    assert lines[-1].endswith(
        "problem(s): restore the latest backup (README: Backups and restore), "
        "or keep this file and ask for help"
    )
    assert _digest(path) == digest


def test_tracker_check_finds_lost_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker import cli

    path = tmp_path / "tracker.db"
    _make_store(path, hostile=True)
    _damage(path, "UPDATE action SET version = 9 WHERE ref = 'R1.3'")
    assert cli.main(["--db", str(path), "check"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert any("at version 9 but only 1 history entries (history was lost)" in ln for ln in lines)


def test_tracker_check_on_postgresql(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from tracker import cli

    store = Store.open(db_url)
    sample = SAMPLES / "staffordshire-2024-ilacs.toml"
    store.import_plans([(sample.name, load_plan_file(sample))], user="seed")
    store.close()
    assert cli.main(["--db", db_url, "check"]) == 0, capsys.readouterr().err
    assert ": ok: 1 plan, " in capsys.readouterr().out


@pytest.mark.parametrize("junk", ["-wal", "-shm", "both"])
def test_junk_wal_and_shm_files_are_never_a_traceback(junk: str, tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    _make_store(path)
    for suffix in ("-wal", "-shm") if junk == "both" else (junk,):
        (tmp_path / f"tracker.db{suffix}").write_bytes(os.urandom(40000))
    for argv in (["list"], ["check"], ["update", ACTION, "--note", "x"]):
        done = _run(["--db", str(path), *argv])
        assert "Traceback" not in done.stderr
        assert "unexpected failure" not in done.stderr, done.stderr
        assert len(done.stderr.splitlines()) <= 1 or argv == ["check"], done.stderr


def test_xdg_data_home_set_to_a_file_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a folder", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(blocker)}
    env.pop("TRACKER_DB", None)
    for argv in (["list"], ["import", str(SAMPLES / "staffordshire-2024-ilacs.toml")]):
        done = subprocess.run(
            [sys.executable, "-m", "tracker", *argv],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 1
        lines = done.stderr.splitlines()
        assert len(lines) == 1, lines
        assert f"{blocker} is a file, not a folder (XDG_DATA_HOME is '{blocker}')" in lines[0]
        assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("how", ["--db", "TRACKER_DB"])
def test_the_tui_with_a_mistyped_store_creates_nothing(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker import cli

    path = tmp_path / "tracekr.db"
    if how == "TRACKER_DB":
        monkeypatch.setenv("TRACKER_DB", str(path))
        argv: list[str] = []
    else:
        argv = ["--db", str(path)]
    assert cli.main(argv) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"tracker: error: {path}: no tracker store here yet: start one with 'tracker new-plan "
        "KEY --authority NAME --title TEXT' or load a plan with 'tracker import FILE.toml'"
    ]
    assert list(tmp_path.iterdir()) == []


# --- 11. small ---------------------------------------------------------------------------------


def test_show_json_carries_the_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from tracker import cli

    db = tmp_path / "t.db"
    _make_store(db, hostile=True)
    assert cli.main(["--db", str(db), "show", ACTION, "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"] == 2
    argv = ["--db", str(db), "update", ACTION, "--progress", "5", "--expect-version"]
    assert cli.main([*argv, str(shown["version"])]) == 0
    assert cli.main([*argv, str(shown["version"])]) == 1


ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def test_a_zero_width_description_is_blank(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker import cli

    plan = tmp_path / "zw.toml"
    plan.write_text(
        PLAN_WITH.format(deadline="2026-12-31").replace('"Something"', f'"{ZERO_WIDTH}"'),
        encoding="utf-8",
    )
    assert cli.main(["--db", str(tmp_path / "t.db"), "import", str(plan)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert (
        err[0]
        == f"tracker: error: {plan}: recommendations[1].actions[1].description: must not be empty"
    )


@pytest.mark.parametrize("user", ["", "   ", ZERO_WIDTH])
def test_a_blank_user_is_refused(
    user: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker import cli

    db = tmp_path / "t.db"
    _make_store(db)
    digest = _digest(db)
    status = cli.main(["--db", str(db), "--user", user, "update", ACTION, "--note", "x"])
    assert status == 2
    assert capsys.readouterr().err.splitlines() == [
        "tracker: error: --user is blank: give a name, or leave --user out"
    ]
    assert _digest(db) == digest


def test_a_zero_width_owner_is_blank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tracker import cli

    db = tmp_path / "t.db"
    _make_store(db)
    assert cli.main(["--db", str(db), "update", ACTION, "--owner", ZERO_WIDTH]) == 1
    assert "the owner must not be empty" in capsys.readouterr().err
