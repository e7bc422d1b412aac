"""Write files so that they are never half-written: to a temporary name in the same folder,
synced, then renamed over the target in one step (``os.replace``). Whatever fails (a full disk,
a crash, an error mid-write), the previous file stays intact or the new one is complete, no
temporary is left, and the error is an ``OSError`` whose message names the path.

* Temporary names carry the writer's PID: ``.<name>.<pid>.<random>.tmp<ext>``. A writer killed
  by SIGKILL cannot remove its temporary; the next write to the same path removes those whose
  PID is no longer alive (never a live writer's). PIDs only mean something on this machine: a
  folder shared by several machines may hold temporaries whose writer looks dead from here.
* A symlink stays a symlink: the file it leads to is replaced, not the link.
* Replacing a file keeps its permission bits (as ``cp`` does); a new file gets ``0o666`` less
  the umask, as ``open()`` gives.

Example::

    >>> write_bytes("out/results.json", b"{}")     # doctest: +SKIP
    >>> with atomic_path("out/plot.png") as tmp:     # doctest: +SKIP
    ...     figure.savefig(tmp)
"""
import contextlib
import os
import re
import stat
import tempfile

TEMPORARY_MARK = ".tmp"


def default_file_mode():
    """The mode ``open()`` would give a new file (``0o666`` less the umask)."""
    return 0o666 & ~_umask()


def _umask():
    """The process's umask, read without changing it where Linux allows (``os.umask`` must set
    one to read it, briefly affecting other threads)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_path(path, argument="path"):
    """``path`` as a ``str`` (from ``str``, ``bytes`` or ``os.PathLike``); ``TypeError`` otherwise."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{argument}: expected a file path (str or os.PathLike), received {path!r}")
    path = os.fsdecode(os.fspath(path))
    if not path:
        raise ValueError(f"{argument}: expected a file path, received an empty string")
    return path


def write_bytes(path, data, argument="path"):
    """Write ``data`` (bytes) to ``path`` atomically (see the module docstring); returns ``path``."""
    with atomic_path(path, argument) as temporary:
        with open(temporary, "wb") as f:
            f.write(data)
    return path


@contextlib.contextmanager
def atomic_path(path, argument="path"):
    """Yield a temporary path beside ``path`` (same extension, so writers that look at it still
    work) for the caller to write; on success it replaces ``path`` (or the file a symlink
    ``path`` leads to), on failure it is removed. Missing folders are created.

    Raises ``OSError`` (the original's class and errno) whose message starts with ``argument:``
    and names ``path``; ``TypeError`` for a ``path`` that is not a path.
    """
    path = check_path(path, argument)
    target = _resolve(path, argument)
    folder = os.path.dirname(os.path.abspath(target))
    _make_folder(folder, path, argument)
    if os.path.isdir(target):
        raise IsADirectoryError(f"{argument}: expected a file path, received {path!r}, which is a folder")
    existing = _existing_stat(target)
    remove_stale_temporaries(target)
    name = os.path.basename(target)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.",
                                             suffix=f"{TEMPORARY_MARK}{os.path.splitext(name)[1]}", dir=folder)
        os.close(handle)
    except OSError as error:
        raise _named(error, argument, path, "cannot create a temporary file beside") from error
    try:
        yield temporary
        _sync(temporary)
        _copy_permissions(existing, temporary)
        os.replace(temporary, target)
    except OSError as error:
        if str(error).startswith(f"{argument}:"):
            raise
        raise _named(error, argument, path, "cannot write") from error
    finally:
        # gone after the rename; if removal fails, the original error matters more, and the
        # name's PID lets a later save remove it once this process has ended
        with contextlib.suppress(OSError):
            os.remove(temporary)


def remove_stale_temporaries(path):
    """Remove the temporaries of ``path`` (``.<name>.<pid>.<random>.tmp<ext>``) whose writing
    process no longer exists; return their paths. Others' files are never touched."""
    folder, name = os.path.split(os.path.abspath(path))
    pattern = re.compile(rf"\.{re.escape(name)}\.([0-9]+)\.[A-Za-z0-9_]+"
                         rf"{re.escape(TEMPORARY_MARK + os.path.splitext(name)[1])}")
    try:
        entries = os.listdir(folder)
    except OSError:
        return []
    removed = []
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match and not _process_alive(int(match.group(1))):
            stale = os.path.join(folder, entry)
            try:
                os.remove(stale)
            except OSError:  # another writer removed it first, or no permission: not ours to force
                continue
            removed.append(stale)
    return removed


def _process_alive(pid):
    """False only when no process ``pid`` exists (``ProcessLookupError``); PID 0 and negatives
    would signal process groups, so they count as alive (not ours to judge)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: alive, another user's
        return True
    return True


def _resolve(path, argument):
    """The file to replace: ``path``, or the end of the symlink chain that starts there."""
    if not os.path.islink(path):
        return path
    target = os.path.realpath(path)
    if os.path.islink(target):
        raise OSError(f"{argument}: expected a file path, received {path!r}, a symlink that never "
                      "reaches a file (a loop)")
    return target


def _make_folder(folder, path, argument):
    """Create ``folder`` if missing; a regular file on the way is named in the error."""
    ancestor = folder
    while ancestor and not os.path.exists(ancestor):
        parent = os.path.dirname(ancestor)
        if parent == ancestor:
            break
        ancestor = parent
    if os.path.exists(ancestor) and not os.path.isdir(ancestor):
        raise NotADirectoryError(f"{argument}: expected a path whose folders are folders, received {path!r}, "
                                 f"where {ancestor!r} is a file")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise _named(error, argument, path, f"cannot create the folder {folder!r} for") from error


def _existing_stat(target):
    """``os.stat`` of the file being replaced, or None when there is none."""
    try:
        return os.stat(target)
    except OSError:
        return None


def _copy_permissions(existing, temporary):
    """Give ``temporary`` the replaced file's owner (where allowed) and permission bits, or the
    usual mode of a new file (``mkstemp`` makes it owner-only)."""
    if existing is None:
        os.chmod(temporary, default_file_mode())
        return
    if hasattr(os, "chown"):
        with contextlib.suppress(PermissionError):  # only root may give a file away
            os.chown(temporary, existing.st_uid, existing.st_gid)
    os.chmod(temporary, stat.S_IMODE(existing.st_mode))


def _sync(temporary):
    """Flush the written bytes to the device before the rename, so a power cut cannot leave the
    new name on an empty file (and a late ENOSPC, as on NFS, surfaces here)."""
    descriptor = os.open(temporary, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _named(error, argument, path, doing):
    """A copy of ``error`` (its built-in class and errno) whose message starts with ``argument:``
    and names ``path``."""
    cls = type(error) if type(error).__module__ == "builtins" else OSError
    reason = error.strerror or str(error)
    named = cls(f"{argument}: {doing} {path!r}: {reason}"
                + (f" (errno {error.errno})" if error.errno else ""))
    named.errno = error.errno  # (not strerror: with both set, str() would drop the message)
    return named
