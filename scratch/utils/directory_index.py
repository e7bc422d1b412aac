"""Which files an image dataset holds, with which labels, in which order — Keras's rules
(``keras/src/utils/dataset_utils.py``: ``index_directory`` and ``get_training_or_validation_split``),
so that the same folder and ``seed`` give the same files in each subset as Keras.

1. Classes (``labels="inferred"``): the sorted names of the non-hidden sub-folders, or the
   ``class_names`` given (which must be among them; their order sets the label numbers).
2. Files: each class folder walked recursively (``os.walk``, folders in sorted path order, files
   sorted by name), kept when the lower-cased name ends with an allowed extension; the path is
   ``os.path.join(directory, class, relative path)``. With explicit labels or none, the whole
   tree under ``directory`` is walked as one "class" instead.
3. Shuffle (``shuffle=True``): the whole list is permuted by ``np.random.RandomState(seed)``.
4. Split: ``n_val = int(validation_split · n)``; training takes the list but its last ``n_val``
   files, validation the last ``n_val`` (so ``n_val = 0`` leaves training empty, as in Keras).

Example::

    >>> paths, labels, names = index_directory("flowers", "inferred", None, (".jpg",))  # doctest: +SKIP
    Found 3670 files belonging to 5 classes.
"""
import os

import numpy as np


def class_folders(directory):
    """The sorted names of the sub-folders of ``directory`` that do not start with ``.``."""
    return [name for name in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]


def image_files(folder, formats, follow_links=False):
    """Paths relative to ``folder`` of the files under it whose lower-cased names end with one of
    ``formats``: folders in sorted path order, files sorted within each, as Keras walks them."""
    found = []
    walk = sorted(os.walk(folder, followlinks=follow_links), key=lambda walked: walked[0])
    for root, _, files in walk:
        for name in sorted(files):
            if name.lower().endswith(formats):
                found.append(os.path.relpath(os.path.join(root, name), folder))
    return found


def index_directory(directory, labels, class_names, formats, follow_links=False, verbose=True):
    """List the files of ``directory`` with their labels, unshuffled.

    labels: "inferred" (from the class sub-folders), None, or a list/tuple with one label per
    file in this function's order. Returns ``(file_paths, labels, class_names)``: a list of str,
    an int array (None when unlabelled) and the class names (None when unlabelled; the sorted
    distinct labels as strings for explicit labels). Prints Keras's "Found N files ..." line.
    """
    if not os.path.exists(directory):
        raise FileNotFoundError(f"directory: {str(directory)!r} does not exist (expected a folder "
                                f"of images, one sub-folder per class)")
    if not os.path.isdir(directory):
        raise NotADirectoryError(f"directory: {str(directory)!r} is a file, expected a folder of "
                                 f"images")
    if labels == "inferred":
        folders = class_folders(directory)
        if class_names is not None:
            if not set(class_names) <= set(folders):
                raise ValueError(f"class_names: expected names among the sub-folders of "
                                 f"{str(directory)!r}, {folders}, received {list(class_names)}")
            folders = list(class_names)
        class_names = folders
    else:
        folders = [""]                          # the whole tree, labelled by the list (or not at all)
    file_paths, label_list = [], []
    for index, folder in enumerate(folders):
        for relative in image_files(os.path.join(directory, folder), formats, follow_links):
            file_paths.append(os.path.join(directory, folder, relative))
            label_list.append(index)

    if labels == "inferred":
        labels = np.array(label_list, dtype=np.int32)
    elif labels is not None:
        if len(labels) != len(file_paths):
            raise ValueError(f"labels: expected one label per image file, {len(file_paths)} in "
                             f"{str(directory)!r}, received {len(labels)} labels")
        class_names = [str(label) for label in sorted(set(labels))]
        labels = np.array(labels)
    if verbose:
        if labels is None:
            print(f"Found {len(file_paths)} files.")
        else:
            print(f"Found {len(file_paths)} files belonging to {len(class_names)} classes.")
    return file_paths, labels, (None if labels is None else class_names)


def shuffle_files(file_paths, labels, seed):
    """Permute the files (and their labels alike) with ``np.random.RandomState(seed).shuffle``,
    the permutation Keras applies before splitting."""
    order = np.arange(len(file_paths))
    np.random.RandomState(seed).shuffle(order)
    return [file_paths[i] for i in order], (None if labels is None else labels[order])


def split_files(file_paths, labels, validation_split, subset):
    """The ``subset`` ("training" or "validation") of the files for ``validation_split``; all of
    them when ``validation_split`` is falsy. Prints Keras's "Using M files for ..." line."""
    if not validation_split:
        return file_paths, labels
    n_val = int(validation_split * len(file_paths))
    if subset == "training":
        print(f"Using {len(file_paths) - n_val} files for training.")
        part = slice(None, -n_val)
    else:
        print(f"Using {n_val} files for validation.")
        part = slice(-n_val, None)
    return file_paths[part], (None if labels is None else labels[part])
