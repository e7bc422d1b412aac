"""Optimizers with Keras 3's exact update rules, in float32 (KERAS_SEMANTICS §4).

``apply_gradients([(grad, variable), …])`` runs one update per variable in list order, then
``iterations += 1``; inside an update the step number is ``t = iterations + 1``. Slots
(momentum, velocity, …) are created, as zeros, on the first call.

Example::

    >>> import numpy as np
    >>> from scratch.variable import Variable
    >>> w = Variable(np.array([1.0, 2.0]))
    >>> SGD(learning_rate=0.5).apply_gradients([(np.array([1.0, 1.0]), w)])
    >>> w.value
    array([0.5, 1.5], dtype=float32)
"""
import numpy as np

from scratch import backend

F32 = np.float32


def _check_hyper(name, value, low, high, inclusive_high=True):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, received {value!r}")
    ok = low <= value <= high if inclusive_high else low <= value < high
    if not ok:
        interval = f"[{low}, {high}]" if inclusive_high else f"[{low}, {high})"
        raise ValueError(f"{name}: expected a number in {interval}, received {value!r}")
    return float(value)


class Optimizer:
    """Base class: learning rate (a float32 value, as Keras stores it), ``iterations``, slots."""

    slot_names = ()

    def __init__(self, learning_rate, name):
        self._learning_rate = F32(_check_hyper("learning_rate", learning_rate, 0.0, float("inf")))
        self.iterations = 0
        self.name = name
        self.built = False
        self._slots = {}  # id(variable) -> {slot name: array}

    @property
    def learning_rate(self):
        return float(self._learning_rate)

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = F32(_check_hyper("learning_rate", value, 0.0, float("inf")))

    def build(self, variables):
        """Create the zero slots of every variable (Keras does this on the first apply)."""
        for variable in variables:
            if id(variable) not in self._slots:
                self._slots[id(variable)] = {
                    name: np.zeros_like(variable.value) for name in self.active_slot_names()}
        self.built = True

    def active_slot_names(self):
        return self.slot_names

    def apply_gradients(self, grads_and_vars):
        """Update each variable with its gradient, then count one iteration."""
        pairs = list(grads_and_vars)
        for grad, variable in pairs:
            if np.shape(grad) != variable.shape:
                raise ValueError(
                    f"grads_and_vars: gradient of shape {np.shape(grad)} for {variable.path} "
                    f"of shape {variable.shape}")
        self.build([variable for _, variable in pairs])
        for grad, variable in pairs:
            self.update_step(np.asarray(grad, dtype=variable.value.dtype), variable,
                             self._slots[id(variable)])
        self.iterations += 1

    def apply(self, variables):
        """``apply_gradients`` with each variable's own ``.grad``."""
        self.apply_gradients([(variable.grad, variable) for variable in variables])

    def update_step(self, grad, variable, slots):
        raise NotImplementedError

    def variable_count(self):
        """(number of scalars, bytes) the optimizer holds: ``iteration`` (int64) and
        ``learning_rate`` (float32), then the slots — the summary's ``Optimizer params`` line."""
        slot_sizes = [a.size for slots in self._slots.values() for a in slots.values()]
        return 2 + sum(slot_sizes), 8 + 4 + 4 * sum(slot_sizes)


class SGD(Optimizer):
    """``w ← w − lr·g``; with momentum ``m ← μ·m − lr·g`` then ``w ← w + m`` (Nesterov:
    ``w ← w + μ·m − lr·g``)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD"):
        self.momentum = _check_hyper("momentum", momentum, 0.0, 1.0)
        self.nesterov = bool(nesterov)
        super().__init__(learning_rate, name)

    def active_slot_names(self):
        return ("momentum",) if self.momentum != 0 else ()

    def update_step(self, grad, variable, slots):
        if self.momentum == 0:
            backend.ops.sgd_update(variable.value, grad, self._learning_rate)
        else:
            backend.ops.sgd_momentum_update(variable.value, grad, slots["momentum"], self._learning_rate,
                                            F32(self.momentum), self.nesterov)


class Adam(Optimizer):
    """Adam as Keras 3 writes it: bias correction folded into ``α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)``,
    ``ε`` added to ``√v`` of the raw second moment."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="adam"):
        self.beta_1 = _check_hyper("beta_1", beta_1, 0.0, 1.0, inclusive_high=False)
        self.beta_2 = _check_hyper("beta_2", beta_2, 0.0, 1.0, inclusive_high=False)
        self.epsilon = _check_hyper("epsilon", epsilon, 0.0, float("inf"))
        self.amsgrad = bool(amsgrad)
        super().__init__(learning_rate, name)

    def active_slot_names(self):
        return ("momentum", "velocity", "velocity_hat") if self.amsgrad else ("momentum", "velocity")

    def alpha(self):
        """``lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)`` with ``t = iterations + 1``, in float32 as Keras."""
        t = F32(self.iterations + 1)
        beta_1_power = np.power(F32(self.beta_1), t)
        beta_2_power = np.power(F32(self.beta_2), t)
        return self._learning_rate * np.sqrt(F32(1) - beta_2_power) / (F32(1) - beta_1_power)

    def apply_gradients(self, grads_and_vars):
        self._alpha = self.alpha()  # the same for every variable of this step
        super().apply_gradients(grads_and_vars)

    def update_step(self, grad, variable, slots):
        backend.ops.adam_update(variable.value, grad, slots["momentum"], slots["velocity"],
                                slots.get("velocity_hat"), self._alpha, F32(1 - self.beta_1),
                                F32(1 - self.beta_2), F32(self.epsilon))


class RMSprop(Optimizer):
    """``v ← ρv + (1 − ρ)g²``, ``w ← w − lr·g/√(v + ε)`` (centered and momentum variants as Keras)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="rmsprop"):
        self.rho = _check_hyper("rho", rho, 0.0, 1.0)
        self.momentum = _check_hyper("momentum", momentum, 0.0, 1.0)
        self.epsilon = _check_hyper("epsilon", epsilon, 0.0, float("inf"))
        self.centered = bool(centered)
        super().__init__(learning_rate, name)

    def active_slot_names(self):
        names = ("velocity",)
        if self.momentum > 0:
            names += ("momentum",)
        if self.centered:
            names += ("average_gradient",)
        return names

    def update_step(self, grad, variable, slots):
        backend.ops.rmsprop_update(variable.value, grad, slots["velocity"], slots.get("momentum"),
                                   slots.get("average_gradient"), self._learning_rate, F32(self.rho),
                                   F32(1 - self.rho), F32(self.momentum), F32(self.epsilon))


_OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get(identifier):
    """An optimizer from a name (``"sgd"``, ``"adam"``, ``"rmsprop"``: defaults) or an optimizer object."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _OPTIMIZERS:
        return _OPTIMIZERS[identifier.lower()]()
    raise ValueError(f"optimizer: expected one of {sorted(_OPTIMIZERS)} or a scratch.optimizers.Optimizer, "
                     f"received {identifier!r}")
