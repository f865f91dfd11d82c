"""Writing a file a user named (`--output`, `backup`) so that it cannot be turned against them.

Shared by the output files (tracker.formats.outfile) and backups (tracker.storage.backup),
which are siblings; standard library only, below both of them.

The rules, for every target:

- A name ending in `/` names a folder; a folder is refused ("give a file name").
- A device, a named pipe or a standard stream (`/dev/stdout`, `/dev/tty`, a FIFO another
  program reads) is written into, never replaced by a regular file. A FIFO with nobody
  reading is said on standard error while tracker waits. Block devices and sockets are
  refused.
- A regular file is written whole or not at all: the new content goes to a temporary
  file made with `tempfile.mkstemp` in the target's folder (an unpredictable name, created
  exclusively, never through a symbolic link) and is renamed over the target when
  complete. The temporary is removed on an error and on SIGTERM, SIGHUP or SIGINT.
- An existing file keeps its permissions: a file this user may not write is refused (as
  the shell's `>` would refuse it), a replaced file keeps its mode, and a file owned by
  someone else is written into in place (or, by root, given back to its owner), never
  taken over. A symbolic link is followed: the file it names is the one written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import BinaryIO, Literal

from tracker.domain.errors import TrackerError

__all__ = ["Target", "Terminated", "examine", "install_file", "write_target"]

Kind = Literal["new", "file", "stream"]


class Terminated(SystemExit):
    """SIGTERM or SIGHUP arrived while a file was being written: clean up, then stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


@dataclass(frozen=True, slots=True)
class Target:
    """Where output goes, as examined before anything is written.

    `kind` is "new" (no file yet), "file" (an existing regular file, to be replaced) or
    "stream" (a device, pipe or standard stream, written into). `path` is the file to
    replace or open: a symbolic link to a regular file is followed.
    """

    shown: str
    path: Path
    kind: Kind
    folder: Path


def _denied(shown: str) -> TrackerError:
    return TrackerError(f"{shown}: cannot write here (permission denied)")


def _through_proc(path: Path) -> bool:
    """Whether the name is a standard stream (`/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1`).

    Such a name stands for an open file descriptor, whatever it is connected to (a pipe,
    a terminal, a file the shell opened): it is written into, never replaced.
    """
    text = str(path)
    if text.startswith(("/dev/fd/", "/proc/")) or text in ("/dev/stdout", "/dev/stderr"):
        return True
    try:
        return os.path.realpath(path).startswith("/proc/")
    except OSError:
        return False


def examine(path: Path | str, *, shown: str | None = None) -> Target:
    """Check a target before any work: what it is, and whether this user may write it."""
    raw = os.fspath(path)
    name = shown or raw
    if not raw:
        raise TrackerError("the output file name is empty")
    if "\x00" in raw:
        raise TrackerError(f"{name!r}: a file name cannot contain a NUL character")
    given = Path(raw).expanduser()
    if raw.endswith(("/", os.sep)):
        if given.is_dir():
            raise TrackerError(f"{name}: is a folder; give a file name")
        raise TrackerError(f"{name}: names a folder (it ends in /) that does not exist")
    try:
        info = os.stat(given)  # follows symbolic links, /dev/stdout included
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        raise TrackerError(f"{name}: a part of the path is a file, not a folder") from None
    except PermissionError:
        raise _denied(name) from None
    except OSError as exc:
        raise TrackerError(f"{name}: cannot use this file: {exc.strerror or exc}") from None
    if info is None:
        real = Path(os.path.realpath(given))  # a dangling link names the file to create
        if not real.parent.is_dir():
            raise TrackerError(f"{name}: the folder {real.parent} does not exist")
        if not os.access(real.parent, os.W_OK | os.X_OK):
            raise _denied(name)
        return Target(shown=name, path=real, kind="new", folder=real.parent)
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise TrackerError(f"{name}: is a folder; give a file name")
    if stat.S_ISREG(mode) and not _through_proc(given):
        real = Path(os.path.realpath(given))
        if not os.access(real, os.W_OK):
            raise _denied(name)
        return Target(shown=name, path=real, kind="file", folder=real.parent)
    if stat.S_ISBLK(mode):
        raise TrackerError(f"{name}: is a disk device; give a file name")
    if stat.S_ISSOCK(mode):
        raise TrackerError(f"{name}: is a socket; give a file name")
    if not os.access(given, os.W_OK):
        raise _denied(name)
    return Target(shown=name, path=given, kind="stream", folder=given.parent)


# --- cleaning up after a signal --------------------------------------------------------------

_TEMPORARIES: set[str] = set()
_GUARD_LOCK = threading.Lock()
_GUARD_DEPTH = 0
_PREVIOUS: dict[int, object] = {}
_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s
)


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextmanager
def _unwinding_on_signals() -> Iterator[None]:
    """While the block runs, SIGTERM/SIGHUP raise Terminated so `finally` blocks clean up.

    SIGINT already raises KeyboardInterrupt, which unwinds the same way. Handlers can
    only be set in the main thread; elsewhere temporaries are still removed on errors.
    """
    global _GUARD_DEPTH
    installed = False
    with _GUARD_LOCK:
        if threading.current_thread() is threading.main_thread():
            if _GUARD_DEPTH == 0:
                for signum in _SIGNALS:
                    current = signal.getsignal(signum)
                    if current in (signal.SIG_DFL, None):
                        _PREVIOUS[signum] = current
                        signal.signal(signum, _on_signal)
            _GUARD_DEPTH += 1
            installed = True
    try:
        yield
    finally:
        if installed:
            with _GUARD_LOCK:
                _GUARD_DEPTH -= 1
                if _GUARD_DEPTH == 0:
                    for signum, previous in _PREVIOUS.items():
                        signal.signal(signum, previous)  # type: ignore[arg-type]
                    _PREVIOUS.clear()


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGTERM/SIGHUP wait until the block ends, so a temporary is never made unrecorded."""
    held = set(_SIGNALS)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held) if held else set()
    try:
        yield
    finally:
        if held:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def _temporary(name: str) -> Iterator[None]:
    """Remember a temporary while it exists; remove it however the block ends."""
    with _GUARD_LOCK:
        _TEMPORARIES.add(name)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)
        with _GUARD_LOCK:
            _TEMPORARIES.discard(name)


# --- writing ----------------------------------------------------------------------------------


def _umask() -> int:
    with _GUARD_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _open_stream(target: Target) -> BinaryIO:
    """Open a device, pipe or standard stream for writing, in place.

    A named pipe with no reader would block without a word: say so, then wait.
    """
    flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        if stat.S_ISFIFO(os.stat(target.path).st_mode):
            try:
                fd = os.open(target.path, flags | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != 6:  # ENXIO: nobody has the pipe open for reading
                    raise
                sys.stderr.write(
                    f"tracker: {target.shown}: waiting for a program to read this named pipe "
                    "(ctrl+c to give up)\n"
                )
                sys.stderr.flush()
                fd = os.open(target.path, flags)
            else:
                os.set_blocking(fd, True)
        else:
            fd = os.open(target.path, flags)
    except PermissionError:
        raise _denied(target.shown) from None
    except OSError as exc:
        raise TrackerError(f"{target.shown}: cannot write here: {exc.strerror or exc}") from None
    return os.fdopen(fd, "wb")


def _match_owner(fd: int, old: os.stat_result) -> bool:
    """Give the new file the old one's mode, group and (for root) owner; False if it cannot."""
    os.fchmod(fd, stat.S_IMODE(old.st_mode))
    if old.st_uid != os.geteuid() or old.st_gid != os.getegid():
        try:
            os.fchown(fd, old.st_uid, old.st_gid)
        except PermissionError:
            return False
    return True


def _write_in_place(target: Target, fill: Callable[[BinaryIO], None]) -> None:
    """Write into the existing file itself: its owner, mode and links stay as they were."""
    flags = os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(target.path, flags)
    except PermissionError:
        raise _denied(target.shown) from None
    with os.fdopen(fd, "wb") as handle:
        fill(handle)


@contextmanager
def write_target(target: Target) -> Iterator[BinaryIO]:
    """A binary stream whose content becomes the target when the block ends without error."""
    if target.kind == "stream":
        with _open_stream(target) as handle:
            yield handle
        return
    with _unwinding_on_signals(), contextlib.ExitStack() as stack:
        # The temporary is made and recorded with the signals held: one that comes then
        # is taken as the block ends, and unwinds through the removal of the temporary.
        with _signals_held():
            try:
                fd, temp = tempfile.mkstemp(
                    prefix=f".{target.path.name}.", suffix=".tmp", dir=target.folder
                )
            except PermissionError:
                temp = ""
            else:
                stack.enter_context(_temporary(temp))
                handle = stack.enter_context(os.fdopen(fd, "wb"))
        if not temp:
            if target.kind != "file":
                raise _denied(target.shown) from None
            # A file the user may write in a folder they may not: as `>` does, in place.
            with _spooled() as spool:
                yield spool
                spool.seek(0)
                _write_in_place(target, lambda h: shutil.copyfileobj(spool, h))
            return
        yield handle
        handle.flush()
        os.fsync(handle.fileno())
        _install(target, handle.fileno(), temp)


@contextmanager
def _spooled() -> Iterator[BinaryIO]:
    with tempfile.TemporaryFile() as spool:
        yield spool


def _install(target: Target, fd: int, temp: str) -> None:
    """Rename the finished temporary over the target, keeping the old file's permissions."""
    if target.kind == "new":
        os.fchmod(fd, 0o666 & ~_umask())
        os.replace(temp, target.path)
        return
    try:
        old = os.stat(target.path, follow_symlinks=False)
    except FileNotFoundError:
        os.fchmod(fd, 0o666 & ~_umask())
        os.replace(temp, target.path)
        return
    if not stat.S_ISREG(old.st_mode):
        raise TrackerError(f"{target.shown}: changed while it was being written; nothing written")
    if _match_owner(fd, old):
        os.replace(temp, target.path)
        return
    # Someone else's file this user may write: write into it, never take it over.
    with open(temp, "rb") as done:
        _write_in_place(target, lambda h: shutil.copyfileobj(done, h))


def _is_terminal(path: Path) -> bool:
    """Whether a character device is a terminal (a pipe is never opened to find out)."""
    if not stat.S_ISCHR(os.stat(path).st_mode):
        return False
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


@contextmanager
def install_file(target: Target, *, binary_name: str = "file") -> Iterator[Path]:
    """A path in a private folder where the caller builds a whole file (e.g. a SQLite copy).

    The folder is made with `tempfile.mkdtemp` (mode 0700) beside a regular target, so
    nothing another user plants can be followed; when the block ends without error the
    file becomes the target (renamed over a file, copied into a stream). A terminal is
    refused: a binary copy is not for the screen.
    """
    if target.kind == "stream":
        if _is_terminal(target.path):
            raise TrackerError(
                f"{target.shown}: is a terminal; give a file name (or pipe the copy)"
            )
        base = tempfile.gettempdir()
    else:
        base = str(target.folder)
    in_place = target.kind == "stream"
    with _unwinding_on_signals(), contextlib.ExitStack() as stack:
        with _signals_held():  # made and recorded before a signal can unwind
            try:
                folder = tempfile.mkdtemp(prefix=f".{target.path.name}.", suffix=".tmp", dir=base)
            except PermissionError:
                if target.kind != "file":
                    raise _denied(target.shown) from None
                # A file the user may write in a folder they may not: built aside, then
                # written in place.
                folder = tempfile.mkdtemp(prefix=f".{target.path.name}.", suffix=".tmp")
                in_place = True
            stack.enter_context(_temporary(folder))
            stack.callback(shutil.rmtree, folder, ignore_errors=True)
        built = Path(folder) / binary_name
        yield built
        if target.kind == "stream":
            with _open_stream(target) as out, open(built, "rb") as src:
                shutil.copyfileobj(src, out)
            return
        if in_place:
            with open(built, "rb") as src:
                _write_in_place(target, lambda h: shutil.copyfileobj(src, h))
            return
        fd = os.open(built, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            os.fsync(fd)
            _install(target, fd, str(built))
        finally:
            os.close(fd)
