"""Faults while saving and loading: a (nearly) full disk, a writer killed by SIGKILL, symlinks and
file modes, corrupt weight files. The truth is the file system's own state (``os.statvfs``, the
bytes on disk, ``os.lstat``) and, for the files, that h5py and the kit read them back.

Disk cases run on a 128 KB tmpfs the test mounts (root only; skipped with the reason otherwise).
Saves that could crash the interpreter (HDF5 used to segfault on ENOSPC) run in a child process,
so a regression fails one test instead of killing the session.
"""
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest

import scratch
from scratch import layers, weights_io

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
F32 = np.float32


# ----------------------------------------------------------------------------- helpers
@pytest.fixture
def small_disk(tmp_path):
    """A 128 KB tmpfs mounted for this test only (unmounted at teardown, whatever happened)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=True)


def free_bytes(folder):
    info = os.statvfs(folder)
    return info.f_bavail * info.f_frsize


def fill(disk, leave):
    """Fill ``disk`` with one file so that only ``leave`` bytes stay free."""
    with open(disk / "filler", "wb") as f:
        f.write(b"\0" * (free_bytes(disk) - leave))
    assert free_bytes(disk) == leave


def run_child(code, timeout=30):
    """Run ``code`` in a fresh Python with the repository importable; return the finished process."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": REPO})


def model_with(seed, units=16):
    model = scratch.Sequential([scratch.Input((4,)), layers.Dense(units, activation="relu"),
                                layers.Dense(3, activation="softmax")])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.standard_normal(w.shape).astype(F32) for w in model.get_weights()])
    return model


def stored_arrays(path):
    with h5py.File(path, "r") as f:
        return [f[f"layers/{key}/vars/{i}"][()] for key in ("dense", "dense_1") for i in (0, 1)]


def assert_same_arrays(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def temporaries(folder):
    return sorted(name for name in os.listdir(folder) if ".tmp" in name)


# ----------------------------------------------------------------------------- 1. full disk
def test_save_weights_on_a_nearly_full_disk_is_a_clean_enospc(small_disk):
    """HDF5 used to segfault closing a file on ENOSPC (the process died, exit -11). Now: an
    ``OSError`` with errno 28 naming the path, the previous file intact, no temporary left."""
    path = small_disk / "m.weights.h5"
    model_with(0).save_weights(str(path))
    before = path.read_bytes()
    fill(small_disk, leave=8192)
    child = run_child(f"""
        import json, sys
        sys.path.insert(0, "parity_tests")
        from test_faults import model_with
        try:
            model_with(1).save_weights({str(path)!r})
            print(json.dumps({{"raised": None}}))
        except OSError as error:
            print(json.dumps({{"raised": type(error).__name__, "errno": error.errno, "message": str(error)}}))
        """)
    assert child.returncode == 0, f"the child died (exit {child.returncode}): {child.stderr[-2000:]}"
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    assert outcome["errno"] == 28, outcome
    assert outcome["message"].startswith("filepath:") and repr(str(path)) in outcome["message"], outcome
    assert path.read_bytes() == before
    assert temporaries(small_disk) == []
    assert free_bytes(small_disk) == 8192  # nothing half-written holds space


def test_the_in_memory_image_is_the_file_h5py_writes(tmp_path):
    """Building the HDF5 image in memory changes nothing in the file: the same bytes as h5py
    writing the same layout straight to disk (so Keras's ``load_weights`` reads it as before)."""
    path = tmp_path / "m.weights.h5"
    model = model_with(2)
    model.save_weights(str(path))
    direct = tmp_path / "direct.h5"
    with h5py.File(direct, "w") as f:
        group = f.create_group("layers")
        for key, layer in zip(("dense", "dense_1"), model.layers):
            vars_group = group.create_group(key).create_group("vars")
            vars_group.attrs["name"] = layer.name
            for i, variable in enumerate(layer.weights):
                vars_group.create_dataset(str(i), data=variable.value)
        f.create_group("vars").attrs["name"] = model.name
    assert path.read_bytes() == direct.read_bytes()
    assert_same_arrays(stored_arrays(path), model.get_weights())


# ----------------------------------------------------------------------------- 2. space check at fit start
def test_checkpoint_on_a_full_disk_fails_at_fit_start(small_disk):
    """The probe file needs no space; the free-space check does: the fit stops before training,
    naming filepath and how many bytes are missing."""
    fill(small_disk, leave=4096)
    child = run_child(f"""
        import json
        import numpy as np, scratch
        from scratch import layers
        model = scratch.Sequential([scratch.Input((4,)), layers.Dense(16), layers.Dense(3, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        checkpoint = scratch.callbacks.ModelCheckpoint({str(small_disk / "ck.weights.h5")!r}, save_weights_only=True)
        x = np.ones((8, 4), np.float32)
        try:
            model.fit(x, np.arange(8) % 3, batch_size=4, epochs=1, verbose=0, callbacks=[checkpoint])
            print(json.dumps({{"raised": None, "iterations": int(model.optimizer.iterations)}}))
        except OSError as error:
            print(json.dumps({{"raised": type(error).__name__, "errno": error.errno, "message": str(error),
                               "iterations": int(model.optimizer.iterations)}}))
        """)
    assert child.returncode == 0, f"the child died (exit {child.returncode}): {child.stderr[-2000:]}"
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    assert outcome["iterations"] == 0, outcome  # not one training step
    assert outcome["errno"] == 28, outcome
    message = outcome["message"]
    assert message.startswith("filepath:") and "ck.weights.h5" in message and "missing" in message, message
    assert sorted(os.listdir(small_disk)) == ["filler"]


def test_checkpoint_with_enough_space_trains_and_saves(small_disk):
    model = model_with(3)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    path = small_disk / "ck.weights.h5"
    checkpoint = scratch.callbacks.ModelCheckpoint(str(path), save_weights_only=True)
    model.fit(np.ones((8, 4), F32), np.arange(8) % 3, batch_size=4, epochs=2, verbose=0, callbacks=[checkpoint])
    assert_same_arrays(stored_arrays(path), model.get_weights())
    assert temporaries(small_disk) == []


def deep_model(n_layers, units):
    model = scratch.Sequential([scratch.Input((units,))] + [layers.Dense(units) for _ in range(n_layers)])
    return model


@pytest.mark.parametrize("n_layers,units", [(1, 1), (2, 16), (40, 8), (3, 256)])
def test_size_estimate_bounds_the_real_file(tmp_path, n_layers, units):
    """The estimate used at fit start is at least the real file (so it never lets a save through
    that cannot fit) and not wildly more (so it does not refuse a disk that has room)."""
    model = deep_model(n_layers, units)
    path = tmp_path / "m.weights.h5"
    model.save_weights(str(path))
    size = os.path.getsize(path)
    estimate = weights_io.estimated_file_size(model)
    assert size <= estimate <= 2 * size + 8192, (size, estimate)


# ----------------------------------------------------------------------------- 3. stale temporaries
CHILD_STUCK_IN_SAVE = """
    import sys, time
    import h5py
    sys.path.insert(0, "parity_tests")
    from test_faults import model_with
    real_file = h5py.File
    def stuck_file(name, mode="r", *args, **kwargs):
        handle = real_file(name, mode, *args, **kwargs)
        if mode == "w":
            print(name, flush=True)   # the temporary, already on disk
            time.sleep(60)
        return handle
    h5py.File = stuck_file
    model_with(5).save_weights(sys.argv[1])
"""


def test_a_save_removes_temporaries_of_writers_killed_by_sigkill(tmp_path):
    """A writer killed mid-save leaves its temporary; the next save to that path removes it, but
    not the temporary of a live writer, nor a dead writer's temporary for another path."""
    path = tmp_path / "ck.weights.h5"
    model_with(4).save_weights(str(path))
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD_STUCK_IN_SAVE), str(path)],
                             cwd=REPO, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": REPO})
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = child.stdout.readline().strip()
        assert os.path.dirname(stale) == str(tmp_path) and os.path.exists(stale)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        dead_pid = child.pid
        live_temporary = tmp_path / f".ck.weights.h5.{live.pid}.abcd1234.tmp.h5"
        live_temporary.write_bytes(b"a live writer's half file")
        other_path_temporary = tmp_path / f".other.weights.h5.{dead_pid}.abcd1234.tmp.h5"
        other_path_temporary.write_bytes(b"another path's temporary")
        assert str(dead_pid) in os.path.basename(stale), "the temporary's name does not carry the writer's PID"

        model = model_with(6)
        model.save_weights(str(path))
        assert not os.path.exists(stale)
        assert live_temporary.exists() and other_path_temporary.exists()
        assert_same_arrays(stored_arrays(path), model.get_weights())
    finally:
        for process in (child, live):
            if process.poll() is None:
                process.kill()
            process.wait()
        child.stdout.close()


# ----------------------------------------------------------------------------- 4. symlinks and modes
def test_saving_through_a_symlink_keeps_the_link(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    target = store / "real.weights.h5"
    model_with(7).save_weights(str(target))
    link = tmp_path / "link.weights.h5"
    link.symlink_to(target)
    model = model_with(8)
    model.save_weights(str(link))
    assert os.path.islink(link) and os.readlink(link) == str(target)
    assert_same_arrays(stored_arrays(target), model.get_weights())
    assert temporaries(tmp_path) == [] and temporaries(store) == []


def test_saving_over_a_file_keeps_its_mode(tmp_path):
    path = tmp_path / "m.weights.h5"
    model_with(9).save_weights(str(path))
    os.chmod(path, 0o640)
    model_with(10).save_weights(str(path))
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o640


def test_a_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        model_with(11).save_weights(str(tmp_path / "m.weights.h5"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.lstat(tmp_path / "m.weights.h5").st_mode) == 0o640
