"""Fashion-MNIST, loaded like ``keras.datasets.fashion_mnist.load_data()``
(``keras/src/datasets/fashion_mnist.py``).

70,000 grayscale 28×28 images of clothing in 10 classes (:data:`CLASS_NAMES`), 60,000 for
training and 10,000 for testing, stored as four gzipped IDX files (see :mod:`scratch.datasets.idx`).
Unlike Keras, which always goes to its cache and the internet, the files are looked for in this
order, and the first folder holding **all four** wins:

1. the ``path`` argument (a folder; if it lacks a file, that is an error, not a fall-through);
2. the folder named by the environment variable ``FASHION_MNIST_DIR`` when it is set (not
   empty): the only place looked at then — a folder that is missing, empty or lacks a file is a
   ``FileNotFoundError`` naming the variable, not a silent fall-through to the sources below;
3. Keras's cache, ``$KERAS_HOME/datasets/fashion-mnist`` (default ``~/.keras/...``), so files
   Keras already downloaded are reused, and Keras reuses ours;
4. the Debian package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``);
5. a download from the mirror Keras uses into Keras's cache, each file checked against the
   SHA-256 of its *uncompressed* content (:data:`SHA256`) before it is moved into place.

Example::

    >>> from scratch.datasets import fashion_mnist
    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()   # doctest: +SKIP
    >>> x_train.shape, fashion_mnist.CLASS_NAMES[y_train[0]]                 # doctest: +SKIP
    ((60000, 28, 28), 'Ankle boot')
"""
import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
import zlib
from http.client import HTTPException

from scratch.atomic import default_file_mode
from scratch.datasets.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx

TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
FILE_NAMES = (TRAIN_LABELS, TRAIN_IMAGES, TEST_LABELS, TEST_IMAGES)   # Keras's order

URL_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# SHA-256 of the *decompressed* files: the Debian .gz files store no file name in their gzip
# header, so their compressed bytes (and hashes) differ from upstream's while the content is equal.
SHA256 = {
    TRAIN_IMAGES: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    TRAIN_LABELS: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    TEST_IMAGES: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    TEST_LABELS: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
ENV_VAR = "FASHION_MNIST_DIR"
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
DOWNLOAD_TIMEOUT_S = 60      # per socket operation, so a dead mirror fails instead of hanging
IMAGE_SHAPE = (28, 28)

CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
               'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']


def load_data(path=None):
    """Load Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``.

    Args:
        path: optional folder holding the four ``.gz`` files; ``None`` searches (module docstring).

    Returns:
        ``x_train`` uint8 ``(60000, 28, 28)``, ``y_train`` uint8 ``(60000,)`` (labels 0–9),
        ``x_test`` uint8 ``(10000, 28, 28)``, ``y_test`` uint8 ``(10000,)`` — the values Keras
        returns. Keras's arrays are read-only (``np.frombuffer``); these are writeable.

    Raises:
        FileNotFoundError: ``path`` or the ``FASHION_MNIST_DIR`` folder lacks one of the files, or
            nothing was found and the download failed (the message lists the three ways to get
            the files).
        ValueError: a file is corrupt, truncated or not the expected IDX data, or a download's
            checksum is wrong (the message names the file).

    Local files are used as-is, like Keras does; their IDX headers and sizes are checked but not
    their SHA-256 (a folder of your own IDX files in this layout is allowed).

    Example::

        >>> (x_train, y_train), _ = load_data()                   # doctest: +SKIP
        >>> x_train.dtype, y_train[:3]                              # doctest: +SKIP
        (dtype('uint8'), array([9, 0, 0], dtype=uint8))
    """
    return load_dir(find_data_dir(path))


def load_dir(directory):
    """Parse the four files of ``directory``; see :func:`load_data` for the returned arrays."""
    paths = {name: os.path.join(directory, name) for name in FILE_NAMES}
    train = _load_pair(paths[TRAIN_IMAGES], paths[TRAIN_LABELS])
    test = _load_pair(paths[TEST_IMAGES], paths[TEST_LABELS])
    return train, test


def _load_pair(images_path, labels_path):
    labels = read_idx(labels_path, LABELS_MAGIC)
    images = read_idx(images_path, IMAGES_MAGIC)
    if images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"{images_path}: images are {images.shape[1:]}, expected {IMAGE_SHAPE}")
    if len(images) != len(labels):
        raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                         f"{len(labels)} labels")
    return images, labels


def find_data_dir(path=None):
    """The folder :func:`load_data` reads: ``path``, else the first search hit, else a download.

    Example::

        >>> find_data_dir()                                         # doctest: +SKIP
        '/usr/share/datasets/fashion-mnist'
    """
    if path is not None:
        missing = missing_files(path)
        if missing:
            raise FileNotFoundError(
                f"load_data(path={str(path)!r}): missing {', '.join(missing)} "
                f"(the folder must hold all of {', '.join(FILE_NAMES)})")
        return os.fspath(path)
    env_dir = os.environ.get(ENV_VAR)
    if env_dir:
        missing = missing_files(env_dir)
        if missing:
            problem = (f"lacks {', '.join(missing)}" if os.path.isdir(env_dir) else
                       f"does not exist (looked for {', '.join(missing)})")
            raise FileNotFoundError(
                f"{ENV_VAR}: the folder {env_dir!r} {problem}; expected it to "
                f"hold all of {', '.join(FILE_NAMES)}. Fix or unset {ENV_VAR} (when unset, Keras's cache, "
                f"{DEBIAN_DIR} and a download are tried)")
        return env_dir
    searched = search_dirs()
    for directory in searched:
        if not missing_files(directory):
            return directory
    cache = keras_cache_dir()
    try:
        download(cache, missing_files(cache))
    except (OSError, HTTPException) as err:    # no network, refused, timed out, cut short
        raise FileNotFoundError(_no_source_message(searched, cache, err)) from err
    return cache


def search_dirs():
    """The folders searched when no ``path`` is given, in order (existing or not); when
    ``FASHION_MNIST_DIR`` is set, :func:`find_data_dir` reads only that folder."""
    env_dir = os.environ.get(ENV_VAR)
    dirs = [env_dir] if env_dir else []
    return dirs + [keras_cache_dir(), DEBIAN_DIR]


def keras_cache_dir():
    """Where Keras caches this dataset: ``<keras_home>/datasets/fashion-mnist``.

    ``keras_home`` is ``$KERAS_HOME`` if set, else ``~/.keras`` (``/tmp/.keras`` when the home
    folder is not writable), read at call time — Keras reads it once, at import.
    """
    if "KERAS_HOME" in os.environ:
        home = os.path.expanduser(os.environ["KERAS_HOME"])
    else:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    return os.path.join(home, "datasets", "fashion-mnist")


def missing_files(directory):
    """The names of :data:`FILE_NAMES` that are not files in ``directory``."""
    return [name for name in FILE_NAMES if not os.path.isfile(os.path.join(directory, name))]


def download(directory, names=FILE_NAMES):
    """Download ``names`` from :data:`URL_BASE` into ``directory``, all or nothing.

    Each file goes to a hidden temporary name in ``directory`` (so the final rename is atomic),
    its decompressed SHA-256 is checked against :data:`SHA256`, and only when every file passed
    are they renamed into place. On any failure every temporary file is removed.

    Raises:
        OSError / http.client.HTTPException: the transfer failed.
        ValueError: a file's checksum is wrong or it is not valid gzip.
    """
    if not names:
        return
    os.makedirs(directory, exist_ok=True)
    temporary = {}
    try:
        for name in names:
            handle, temporary[name] = tempfile.mkstemp(prefix=f".{name}.", suffix=".part",
                                                       dir=directory)
            os.close(handle)
            url = URL_BASE + name
            _fetch(url, temporary[name])
            _verify(temporary[name], name, url)
            os.chmod(temporary[name], default_file_mode())  # mkstemp makes it owner-only
        for name in names:
            os.replace(temporary.pop(name), os.path.join(directory, name))
    finally:
        for leftover in temporary.values():
            if os.path.exists(leftover):
                os.remove(leftover)


def _fetch(url, target):
    print(f"Downloading data from {url}")      # the line Keras's get_file prints
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, \
            open(target, "wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)
        expected = response.headers.get("Content-Length")
        written = out.tell()
    # http.client returns a short body silently when the server hangs up early; catch it here.
    if expected is not None and written != int(expected):
        raise ConnectionError(f"{url}: connection closed after {written} of {expected} bytes")


def _verify(target, name, url):
    digest = hashlib.sha256()
    try:
        with gzip.open(target, "rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise ValueError(f"{name} downloaded from {url} is not valid gzip ({err})") from err
    if digest.hexdigest() != SHA256[name]:
        raise ValueError(f"{name} downloaded from {url} has the wrong checksum: SHA-256 of its "
                         f"content is {digest.hexdigest()}, expected {SHA256[name]}")


def _no_source_message(searched, cache, err):
    return (
        f"Fashion-MNIST files ({', '.join(FILE_NAMES)}) not found in any of "
        f"{searched}, and the download from {URL_BASE} failed: {type(err).__name__}: {err}\n"
        f"Get them one of three ways:\n"
        f"  1. pass load_data(path=DIR) or set {ENV_VAR}=DIR, DIR holding the four files;\n"
        f"  2. apt-get install dataset-fashion-mnist (installs them in {DEBIAN_DIR});\n"
        f"  3. allow internet access, so they download into {cache}.")
