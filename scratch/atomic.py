"""Write files so that they are never half-written: to a temporary name in the same folder,
then renamed over the target in one step (``os.replace``). A crash or an error mid-write leaves
the previous file, if any, untouched and no temporary file behind.

Example::

    >>> with atomic_path("out/results.json") as tmp:     # doctest: +SKIP
    ...     with open(tmp, "w") as f:
    ...         f.write("{}")
"""
import contextlib
import os
import tempfile


def default_file_mode():
    """The mode ``open()`` would give a new file (``0o666`` less the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path`` (same extension, so writers that look at it
    still work); on success it becomes ``path`` with the usual permissions, on failure it is removed.
    The folder is created if missing."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    name = os.path.basename(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=f".tmp{os.path.splitext(name)[1]}",
                                         dir=folder)
    os.close(handle)
    try:
        yield temporary
        os.chmod(temporary, default_file_mode())  # mkstemp makes it owner-only; use the usual mode
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
