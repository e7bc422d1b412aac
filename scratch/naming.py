"""Keras's automatic names: ``dense``, ``dense_1``, … counted per process
(see ``keras/src/utils/naming.py``, ``auto_name``); :func:`scratch.backend.clear_session` resets
the counters, as Keras's drops its ``object_name_uids``."""
import re
from collections import defaultdict

_counters = defaultdict(int)


def to_snake_case(name):
    """Keras's snake_case: ``Conv2D → conv2d``, ``MaxPooling2D → max_pooling2d``, ``ReLU → re_lu``.

    >>> to_snake_case("MaxPooling2D")
    'max_pooling2d'
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def unique_name(base):
    """``base`` the first time, then ``base_1``, ``base_2``, … (process-global, like Keras)."""
    count = _counters[base]
    _counters[base] += 1
    return base if count == 0 else f"{base}_{count}"


def reset_counters():
    """Start every name afresh (``dense`` again), as Keras's ``reset_uids``: the name part of
    :func:`scratch.backend.clear_session`."""
    _counters.clear()
