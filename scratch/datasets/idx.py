"""Read gzipped IDX files, the format of MNIST and Fashion-MNIST (Yann LeCun's ``*-ubyte``).

An IDX file is a 4-byte magic number, one big-endian uint32 per dimension, then the values in
C order. The magic is ``0x00 0x00 <type> <ndim>``; the MNIST family only uses the unsigned-byte
type ``0x08``, so labels start with ``0x00000801`` (1 dimension) and images with ``0x00000803``
(3 dimensions: count, rows, columns). Keras skips the header blindly (offset 8 or 16); here the
magic, the dimensions and the payload size are all checked, so a truncated download, a corrupt
gzip stream or a swapped file fails loudly with the file's path instead of giving odd shapes.

Example::

    >>> labels = read_idx("train-labels-idx1-ubyte.gz", LABELS_MAGIC)   # doctest: +SKIP
    >>> labels.shape, labels.dtype                                      # doctest: +SKIP
    ((60000,), dtype('uint8'))
"""
import gzip
import zlib

import numpy as np

UBYTE = 0x08                           # IDX type code of unsigned bytes (the only one used here)
LABELS_MAGIC = 0x00000800 | 1          # 0x00000801: uint8, 1 dimension
IMAGES_MAGIC = 0x00000800 | 3          # 0x00000803: uint8, 3 dimensions

# What a damaged .gz raises: a bad header or CRC (BadGzipFile), a stream cut short (EOFError),
# garbage inside the deflate data (zlib.error).
_GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)


def read_idx(path, magic):
    """Parse one gzipped uint8 IDX file into a new, writeable NumPy array.

    Args:
        path: a ``.gz`` file holding an IDX payload.
        magic: the expected magic number, :data:`LABELS_MAGIC` or :data:`IMAGES_MAGIC`; its
            last byte is the number of dimensions.

    Returns:
        uint8 array of the shape the header states, e.g. ``(N,)`` for labels and
        ``(N, rows, cols)`` for images.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: naming ``path``, when the gzip stream is corrupt or truncated, the magic is
            not ``magic``, or the payload is shorter or longer than the header says.
    """
    ndim = magic & 0xFF
    with open(path, "rb") as raw:      # outside the try: a missing file stays FileNotFoundError
        try:
            with gzip.GzipFile(fileobj=raw) as stream:
                return _read_stream(stream, path, magic, ndim)
        except _GZIP_ERRORS as err:
            raise ValueError(f"{path}: not a valid gzip file ({err})") from err


def _read_stream(stream, path, magic, ndim):
    header = _read_exactly(stream, 4 + 4 * ndim)
    if len(header) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header ({len(header)} of {4 + 4 * ndim} bytes)")
    found = int.from_bytes(header[:4], "big")
    if found != magic:
        raise ValueError(f"{path}: IDX magic number is 0x{found:08X}, expected 0x{magic:08X}")
    shape = tuple(int.from_bytes(header[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    # Decompress straight into the array's memory: a writeable array with no extra copy.
    values = np.empty(shape, dtype=np.uint8)
    filled = _read_into(stream, memoryview(values.reshape(-1)))   # a 1-D view of its bytes
    if filled < values.size:
        raise ValueError(f"{path}: truncated IDX payload: header {shape} needs "
                         f"{values.size} bytes, the file holds {filled}")
    # Reading past the end also makes gzip check the CRC and length in the trailer.
    if stream.read(1):
        raise ValueError(f"{path}: IDX payload is longer than its header {shape} says")
    return values


def _read_exactly(stream, size):
    """Up to ``size`` bytes; fewer only at the end of the stream."""
    chunks, got = [], 0
    while got < size:
        chunk = stream.read(size - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _read_into(stream, buffer):
    """Fill ``buffer`` from ``stream``; returns the byte count (less than its size at the end)."""
    filled = 0
    while filled < len(buffer):
        got = stream.readinto(buffer[filled:])
        if not got:
            break
        filled += got
    return filled
