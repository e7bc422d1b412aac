"""scratch.datasets.fashion_mnist against independent truths: the IDX file format and the layout
of Keras's loader (keras/src/datasets/fashion_mnist.py, ``load_data``).

Synthetic IDX files written here with ``struct`` + ``gzip`` (not with the code under test) check
parsing, every error path, the search order and the download (from a local HTTP server); the
real Debian files, when installed, are checked against known anchors (shapes, first labels, class
counts), the SHA-256 table of the uncompressed files (``fashion_mnist.SHA256``) and Keras's own
loader.
"""
import gzip
import hashlib
import http.server
import os
import shutil
import socket
import struct
import threading

import numpy as np
import pytest

from scratch.datasets import fashion_mnist
from scratch.datasets.fashion_mnist import (FILE_NAMES, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES,
                                            TRAIN_LABELS)
from scratch.datasets.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx

REAL_DIR = "/usr/share/datasets/fashion-mnist"   # the Debian package, read by the real-data tests
needs_real_data = pytest.mark.skipif(
    not all(os.path.isfile(os.path.join(REAL_DIR, name)) for name in FILE_NAMES),
    reason=f"Fashion-MNIST not installed in {REAL_DIR} (apt-get install dataset-fashion-mnist)")


# ---------------------------------------------------------------- writing synthetic IDX files
def idx_bytes(array, magic=None):
    """Uncompressed IDX: big-endian magic (0x08 type, ndim), one uint32 per dimension, values."""
    array = np.asarray(array, dtype=np.uint8)
    magic = 0x00000800 | array.ndim if magic is None else magic
    return struct.pack(f">{1 + array.ndim}I", magic, *array.shape) + array.tobytes()


def write_idx(path, array, magic=None):
    path.write_bytes(gzip.compress(idx_bytes(array, magic)))


def synthetic(seed, n_train=6, n_test=4):
    """Four arrays keyed by file name, different for every seed."""
    rng = np.random.default_rng(seed)
    return {TRAIN_IMAGES: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            TRAIN_LABELS: rng.integers(0, 10, n_train, dtype=np.uint8),
            TEST_IMAGES: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            TEST_LABELS: rng.integers(0, 10, n_test, dtype=np.uint8)}


def write_dataset(directory, arrays):
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        write_idx(directory / name, array)
    return directory


def assert_loaded(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for got, name in ((x_train, TRAIN_IMAGES), (y_train, TRAIN_LABELS),
                      (x_test, TEST_IMAGES), (y_test, TEST_LABELS)):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, arrays[name])


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real data anywhere: empty env, Keras home in tmp, Debian folder absent."""
    monkeypatch.delenv(fashion_mnist.ENV_VAR, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", str(tmp_path / "no_debian_here"))
    return tmp_path / "keras_home" / "datasets" / "fashion-mnist"


# ---------------------------------------------------------------- parsing
def test_idx_round_trip(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28).astype(np.uint8)
    write_idx(tmp_path / "i.gz", images)
    write_idx(tmp_path / "l.gz", [7, 0, 255])
    got = read_idx(tmp_path / "i.gz", IMAGES_MAGIC)
    assert got.shape == (3, 28, 28) and got.dtype == np.uint8 and got.flags.writeable
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(read_idx(tmp_path / "l.gz", LABELS_MAGIC), [7, 0, 255])


def test_idx_empty_and_non_square(tmp_path):
    write_idx(tmp_path / "e.gz", np.zeros((0, 28, 28), np.uint8))
    assert read_idx(tmp_path / "e.gz", IMAGES_MAGIC).shape == (0, 28, 28)
    rect = np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5)   # rows ≠ cols: order matters
    write_idx(tmp_path / "r.gz", rect)
    np.testing.assert_array_equal(read_idx(tmp_path / "r.gz", IMAGES_MAGIC), rect)


def test_load_data_round_trip(tmp_path):
    arrays = synthetic(0)
    assert_loaded(fashion_mnist.load_data(path=write_dataset(tmp_path, arrays)), arrays)


# Each case damages the training images (or labels) of a good synthetic folder.
def _cut_payload(d, a):
    (d / TRAIN_IMAGES).write_bytes(gzip.compress(idx_bytes(a[TRAIN_IMAGES])[:-10]))


def _extra_payload(d, a):
    (d / TRAIN_IMAGES).write_bytes(gzip.compress(idx_bytes(a[TRAIN_IMAGES]) + b"\0"))


def _labels_magic_on_images(d, a):
    write_idx(d / TRAIN_IMAGES, a[TRAIN_IMAGES], magic=LABELS_MAGIC)


def _float_type_magic(d, a):
    write_idx(d / TRAIN_IMAGES, a[TRAIN_IMAGES], magic=0x00000D03)


def _not_gzip(d, a):
    (d / TRAIN_IMAGES).write_bytes(idx_bytes(a[TRAIN_IMAGES]))


def _cut_gzip(d, a):
    (d / TRAIN_IMAGES).write_bytes(gzip.compress(idx_bytes(a[TRAIN_IMAGES]))[:-20])


def _bad_crc(d, a):
    data = bytearray(gzip.compress(idx_bytes(a[TRAIN_IMAGES])))
    data[-8] ^= 0xFF                                   # first byte of the CRC-32 trailer
    (d / TRAIN_IMAGES).write_bytes(bytes(data))


def _empty_file(d, a):
    (d / TRAIN_IMAGES).write_bytes(b"")


def _wrong_image_size(d, a):
    write_idx(d / TRAIN_IMAGES, np.zeros((6, 27, 28), np.uint8))


def _count_mismatch(d, a):
    write_idx(d / TRAIN_LABELS, a[TRAIN_LABELS][:5])


DAMAGES = [
    (_cut_payload, "truncated IDX payload"),
    (_extra_payload, "longer than its header"),
    (_labels_magic_on_images, "magic number is 0x00000801, expected 0x00000803"),
    (_float_type_magic, "magic number is 0x00000D03"),
    (_not_gzip, "not a valid gzip file"),
    (_cut_gzip, "not a valid gzip file"),
    (_bad_crc, "not a valid gzip file"),
    (_empty_file, "truncated IDX header"),
    (_wrong_image_size, r"images are \(27, 28\)"),
    (_count_mismatch, "6 images but .* 5 labels"),
]


@pytest.mark.parametrize("damage, match", DAMAGES, ids=[d.__name__[1:] for d, _ in DAMAGES])
def test_damaged_file_raises_value_error_naming_it(tmp_path, damage, match):
    arrays = synthetic(1)
    write_dataset(tmp_path, arrays)
    damage(tmp_path, arrays)
    with pytest.raises(ValueError, match=match) as info:
        fashion_mnist.load_data(path=tmp_path)
    assert str(tmp_path / TRAIN_IMAGES) in str(info.value)


def test_explicit_path_missing_a_file_raises_not_falls_through(tmp_path, monkeypatch):
    write_dataset(tmp_path / "other", synthetic(2))
    monkeypatch.setenv(fashion_mnist.ENV_VAR, str(tmp_path / "other"))   # would have the data
    write_dataset(tmp_path / "partial", synthetic(3))
    (tmp_path / "partial" / TEST_LABELS).unlink()
    with pytest.raises(FileNotFoundError, match=TEST_LABELS) as info:
        fashion_mnist.load_data(path=tmp_path / "partial")
    assert str(tmp_path / "partial") in str(info.value)
    listed = str(info.value).split("(the folder")[0]
    assert TRAIN_IMAGES not in listed                               # only the missing one is listed
    with pytest.raises(FileNotFoundError, match=TRAIN_IMAGES):
        fashion_mnist.load_data(path=tmp_path / "does_not_exist")


# ---------------------------------------------------------------- search order
def test_search_order(tmp_path, monkeypatch, isolated):
    data = {source: synthetic(seed) for seed, source in enumerate(("path", "env", "keras", "deb"))}
    write_dataset(tmp_path / "path", data["path"])
    write_dataset(tmp_path / "env", data["env"])
    write_dataset(isolated, data["keras"])
    write_dataset(tmp_path / "deb", data["deb"])
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", str(tmp_path / "deb"))
    monkeypatch.setenv(fashion_mnist.ENV_VAR, str(tmp_path / "env"))

    assert_loaded(fashion_mnist.load_data(path=tmp_path / "path"), data["path"])
    assert_loaded(fashion_mnist.load_data(), data["env"])
    (tmp_path / "env" / TRAIN_LABELS).unlink()          # incomplete: an error, not a fall-through
    with pytest.raises(FileNotFoundError, match=TRAIN_LABELS):
        fashion_mnist.load_data()
    monkeypatch.setenv(fashion_mnist.ENV_VAR, "")       # set but empty counts as unset
    assert_loaded(fashion_mnist.load_data(), data["keras"])
    monkeypatch.delenv(fashion_mnist.ENV_VAR)
    assert_loaded(fashion_mnist.load_data(), data["keras"])
    shutil.rmtree(isolated)
    assert_loaded(fashion_mnist.load_data(), data["deb"])
    assert fashion_mnist.find_data_dir() == str(tmp_path / "deb")


@pytest.mark.parametrize("folder,missing", [
    ("empty", FILE_NAMES),                       # an empty folder
    ("fashoin-mnist", FILE_NAMES),               # a misspelled folder that does not exist
    ("partial", (TEST_IMAGES,)),                 # a folder lacking one file
])
def test_env_var_set_is_used_or_fails_naming_it(tmp_path, monkeypatch, isolated, folder, missing):
    """FASHION_MNIST_DIR set: that folder or a FileNotFoundError naming the variable, the folder and
    the missing files — even when Keras's cache holds the data (it used to be read silently)."""
    write_dataset(isolated, synthetic(4))                       # a fall-back that must NOT be used
    (tmp_path / "empty").mkdir()
    write_dataset(tmp_path / "partial", synthetic(5))
    (tmp_path / "partial" / TEST_IMAGES).unlink()
    monkeypatch.setenv(fashion_mnist.ENV_VAR, str(tmp_path / folder))
    for call in (fashion_mnist.load_data, fashion_mnist.find_data_dir):
        with pytest.raises(FileNotFoundError) as info:
            call()
        message = str(info.value)
        assert message.startswith(f"{fashion_mnist.ENV_VAR}: ")
        assert repr(str(tmp_path / folder)) in message and "expected" in message
        listed = message.split("expected")[0]
        for name in FILE_NAMES:
            assert (name in listed) == (name in missing), name
        assert ("does not exist" in message) == (folder == "fashoin-mnist")
    assert sorted(os.listdir(isolated)) == sorted(FILE_NAMES)   # nothing downloaded either


def test_keras_cache_dir_follows_keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert fashion_mnist.keras_cache_dir() == str(tmp_path / "kh" / "datasets" / "fashion-mnist")
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    default = tmp_path / ".keras" / "datasets" / "fashion-mnist"
    assert fashion_mnist.keras_cache_dir() == str(default)


# ---------------------------------------------------------------- download (local HTTP server)
class _Mirror(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files`` (name -> gz bytes); ``server.drop`` names files cut off halfway."""
    timeout = 5                                       # a stuck client cannot hold the thread

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        body = self.server.files.get(name)
        self.server.requests.append(name)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if name in self.server.drop:
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True              # hang up with half the promised bytes
        else:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def mirror(monkeypatch, isolated):
    """A mirror of synthetic data on 127.0.0.1, wired into URL_BASE and SHA256."""
    arrays = synthetic(7)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Mirror)
    server.daemon_threads = True
    server.files = {name: gzip.compress(idx_bytes(a)) for name, a in arrays.items()}
    server.drop, server.requests, server.arrays = set(), [], arrays
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    monkeypatch.setenv("no_proxy", "*")                # never route 127.0.0.1 through a proxy
    monkeypatch.setattr(fashion_mnist, "URL_BASE", f"http://127.0.0.1:{server.server_port}/d/")
    monkeypatch.setattr(fashion_mnist, "SHA256", {name: hashlib.sha256(idx_bytes(a)).hexdigest()
                                                  for name, a in arrays.items()})
    monkeypatch.setattr(fashion_mnist, "DOWNLOAD_TIMEOUT_S", 5)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_download_lands_in_keras_cache(mirror, isolated, capsys):
    assert_loaded(fashion_mnist.load_data(), mirror.arrays)
    assert sorted(os.listdir(isolated)) == sorted(FILE_NAMES)       # no temporary files left
    for name in FILE_NAMES:
        assert (isolated / name).read_bytes() == mirror.files[name]
    assert "Downloading data from http://127.0.0.1" in capsys.readouterr().out
    assert_loaded(fashion_mnist.load_data(), mirror.arrays)        # second load: from the cache
    assert sorted(mirror.requests) == sorted(FILE_NAMES)


def test_download_only_missing_files(mirror, isolated):
    write_dataset(isolated, {TRAIN_IMAGES: mirror.arrays[TRAIN_IMAGES]})
    assert_loaded(fashion_mnist.load_data(), mirror.arrays)
    assert sorted(mirror.requests) == sorted(set(FILE_NAMES) - {TRAIN_IMAGES})


def test_download_wrong_checksum_leaves_nothing(mirror, isolated, monkeypatch):
    wrong = dict(fashion_mnist.SHA256, **{TEST_LABELS: "0" * 64})
    monkeypatch.setattr(fashion_mnist, "SHA256", wrong)
    with pytest.raises(ValueError, match=f"{TEST_LABELS} .*wrong checksum"):
        fashion_mnist.load_data()
    assert os.listdir(isolated) == []


def test_download_cut_off_mid_file_leaves_nothing(mirror, isolated):
    mirror.drop.add(TRAIN_IMAGES)
    with pytest.raises(FileNotFoundError, match="connection closed after") as info:
        fashion_mnist.load_data()
    assert os.listdir(isolated) == []
    message = str(info.value)
    for way in ("path=", fashion_mnist.ENV_VAR, "apt-get install dataset-fashion-mnist",
                "internet"):
        assert way in message


def test_no_source_at_all_explains_the_three_ways(isolated, monkeypatch):
    monkeypatch.setenv("no_proxy", "*")
    # Nothing listens on a port just released: the connection is refused at once.
    monkeypatch.setattr(fashion_mnist, "URL_BASE", f"http://127.0.0.1:{_released_port()}/")
    with pytest.raises(FileNotFoundError) as info:
        fashion_mnist.load_data()
    message = str(info.value)
    for way in ("load_data(path=", fashion_mnist.ENV_VAR, "apt-get install dataset-fashion-mnist",
                "internet", "URLError"):
        assert way in message
    assert isinstance(info.value.__cause__, OSError)
    assert not isolated.exists() or os.listdir(isolated) == []


def _released_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- the real data
@pytest.fixture(scope="module")
def real():
    return fashion_mnist.load_data(path=REAL_DIR)


@needs_real_data
def test_real_shapes_dtypes_and_anchors(real):
    (x_train, y_train), (x_test, y_test) = real
    assert [a.shape for a in (x_train, y_train, x_test, y_test)] == [
        (60000, 28, 28), (60000,), (10000, 28, 28), (10000,)]
    assert all(a.dtype == np.uint8 for a in (x_train, y_train, x_test, y_test))
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]      # the files' first ten labels
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert fashion_mnist.CLASS_NAMES[y_train[0]] == "Ankle boot"


@needs_real_data
def test_real_arrays_hash_to_the_published_checksums(real):
    """Rebuild each IDX file from the arrays: lossless parsing reproduces the SHA-256 of each
    uncompressed file (``fashion_mnist.SHA256``)."""
    (x_train, y_train), (x_test, y_test) = real
    for name, array in ((TRAIN_IMAGES, x_train), (TRAIN_LABELS, y_train),
                        (TEST_IMAGES, x_test), (TEST_LABELS, y_test)):
        assert hashlib.sha256(idx_bytes(array)).hexdigest() == fashion_mnist.SHA256[name], name


@needs_real_data
def test_real_default_search_finds_debian_package(tmp_path, monkeypatch):
    monkeypatch.delenv(fashion_mnist.ENV_VAR, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))                    # an empty Keras cache
    assert fashion_mnist.find_data_dir() == fashion_mnist.DEBIAN_DIR == REAL_DIR


def _keras_load(tmp_path, monkeypatch):
    """Keras's own loader on copies of the Debian files in a tmp Keras home, or None.

    Keras reads KERAS_HOME once, at import, into ``keras.src.backend.config._KERAS_DIR``; the
    test points that at the tmp folder and forbids downloads, so Keras must parse our copies.
    """
    try:
        import keras
        from keras.src.backend import config
        from keras.src.utils import file_utils
    except ImportError:
        return None
    if not hasattr(config, "_KERAS_DIR"):
        return None
    cache = tmp_path / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    for name in FILE_NAMES:
        shutil.copy(os.path.join(REAL_DIR, name), cache / name)
    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path))

    def no_download(*args, **kwargs):
        raise AssertionError("Keras tried to download instead of using the copied files")

    monkeypatch.setattr(file_utils, "urlretrieve", no_download)
    return keras.datasets.fashion_mnist.load_data()


def _load_like_keras():
    """Keras's recipe (keras/src/datasets/fashion_mnist.py, ``load_data``), as a stand-in when
    Keras is absent: gunzip, skip the 8/16-byte header, reshape."""
    def read(name, offset):
        with gzip.open(os.path.join(REAL_DIR, name), "rb") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)
    y_train, y_test = read(TRAIN_LABELS, 8), read(TEST_LABELS, 8)
    return ((read(TRAIN_IMAGES, 16).reshape(len(y_train), 28, 28), y_train),
            (read(TEST_IMAGES, 16).reshape(len(y_test), 28, 28), y_test))


@needs_real_data
def test_real_equals_keras_loader(real, tmp_path, monkeypatch):
    expected = _keras_load(tmp_path, monkeypatch) or _load_like_keras()
    for ours, theirs in zip((*real[0], *real[1]), (*expected[0], *expected[1])):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
        assert ours.flags.writeable and not theirs.flags.writeable     # Keras's are read-only
