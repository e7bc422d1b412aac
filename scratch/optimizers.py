"""Optimizers with Keras 3's exact update rules, in float32 (``keras/src/optimizers/``: each
class's ``update_step``, the same operations in the same order, so results match to the bit).

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
from scratch.variable import Variable

F32 = np.float32


def _check_hyper(name, value, low, high, inclusive_high=True):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}: expected a number, received {value!r}")
    ok = low <= value <= high if inclusive_high else low <= value < high
    if not ok:
        interval = f"[{low}, {high}]" if inclusive_high else f"[{low}, {high})"
        raise ValueError(f"{name}: expected a number in {interval}, received {value!r}")
    return float(value)


class Optimizer:
    """Base class: learning rate (a float32 value, as Keras stores it), ``iterations``, slots."""

    slot_names = ()
    # Keras's build order of the slots: each group is made variable by variable, the names of a
    # group interleaved (Adam: kernel_momentum, kernel_velocity, bias_momentum, …, then the
    # velocity_hats), as ``add_optimizer_variables(var_list, [names])`` does.
    slot_groups = ()

    def __init__(self, learning_rate, name, **kwargs):
        if kwargs:   # Keras: "Argument(s) not recognized", a ValueError
            raise ValueError(f"kwargs: {type(self).__name__} expected none of {sorted(kwargs)} (scratch's "
                             f"optimizers take only the arguments of their signature), received {kwargs!r}")
        self._learning_rate = F32(_check_hyper("learning_rate", learning_rate, 0.0, float("inf")))
        self.iterations = 0
        self.name = name
        self.built = False
        self._slots = {}  # id(variable) -> {slot name: array}
        self._slot_variables = {}  # id(variable) -> {slot name: Variable holding that same array}

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
                prefix = variable.path.replace("/", "_")   # Keras's add_variable_from_reference
                slots = {name: Variable(np.zeros_like(variable.value), name=f"{prefix}_{name}", trainable=False)
                         for name in self.active_slot_names()}
                for slot in slots.values():
                    slot.path = f"{self.name}/{slot.name}"
                self._slot_variables[id(variable)] = slots
                self._slots[id(variable)] = {name: slot.value for name, slot in slots.items()}
        self.built = True

    @property
    def variables(self):
        """Keras's ``optimizer.variables``: ``iteration`` (int64) and ``learning_rate`` (float32),
        read now, then the slots — the very arrays the updates change — in Keras's order.

        Example::

            >>> [v.name for v in Adam().variables]
            ['iteration', 'learning_rate']
        """
        counters = [Variable(0, name="iteration", trainable=False),
                    Variable(self._learning_rate, name="learning_rate", trainable=False)]
        counters[0].value = np.array(self.iterations, dtype=np.int64)
        for counter in counters:
            counter.path = f"{self.name}/{counter.name}"
        active = self.active_slot_names()
        slots = [per_variable[name] for group in self.slot_groups
                 for per_variable in self._slot_variables.values()
                 for name in group if name in active]
        return counters + slots

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
        """Update ``variable.value`` in place from ``grad`` (same shape) and the variable's
        ``slots`` (a dict of arrays: momentum, velocity, …), Keras's ``update_step``."""
        raise NotImplementedError

    def variable_count(self):
        """(number of scalars, bytes) the optimizer holds: ``iteration`` (int64) and
        ``learning_rate`` (float32), then the slots — the summary's ``Optimizer params`` line."""
        slot_sizes = [a.size for slots in self._slots.values() for a in slots.values()]
        return 2 + sum(slot_sizes), 8 + 4 + 4 * sum(slot_sizes)


class SGD(Optimizer):
    """Stochastic gradient descent, Keras 3's ``SGD.update_step`` (keras/src/optimizers/sgd.py).

    ``w ← w − g·lr``; with momentum ``m ← m·μ − g·lr`` then ``w ← w + m`` (Nesterov:
    ``w ← w + (m·μ − g·lr)`` with the new ``m``)."""

    slot_groups = (("momentum",),)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        self.momentum = _check_hyper("momentum", momentum, 0.0, 1.0)
        self.nesterov = bool(nesterov)
        super().__init__(learning_rate, name, **kwargs)

    def active_slot_names(self):
        return ("momentum",) if self.momentum != 0 else ()

    def update_step(self, grad, variable, slots):
        w, lr = variable.value, self._learning_rate
        if self.momentum == 0:
            w -= grad * lr
            return
        m, mu = slots["momentum"], F32(self.momentum)
        m[...] = m * mu - grad * lr
        if self.nesterov:
            w += m * mu - grad * lr
        else:
            w += m


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) as Keras 3's ``Adam.update_step`` writes it
    (keras/src/optimizers/adam.py): the bias correction folded into the step size
    ``α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)``, and ``ε`` added to ``√v`` of the raw second moment (the paper adds it to the
    bias-corrected one, which gives other numbers: test_textbook_adam_would_fail_the_tolerance).

    ``m ← m + (g − m)(1 − β₁)``, ``v ← v + (g² − v)(1 − β₂)``, AMSGrad: ``v̂ ← max(v̂, v)`` used
    in place of ``v``; ``w ← w − (m·α) / (√v + ε)``.
    """

    slot_groups = (("momentum", "velocity"), ("velocity_hat",))

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="adam", **kwargs):
        self.beta_1 = _check_hyper("beta_1", beta_1, 0.0, 1.0, inclusive_high=False)
        self.beta_2 = _check_hyper("beta_2", beta_2, 0.0, 1.0, inclusive_high=False)
        self.epsilon = _check_hyper("epsilon", epsilon, 0.0, float("inf"))
        self.amsgrad = bool(amsgrad)
        super().__init__(learning_rate, name, **kwargs)
        self._alpha = None  # this step's α, computed once per apply_gradients (not per variable)

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
        w, m, v, v_hat = variable.value, slots["momentum"], slots["velocity"], slots.get("velocity_hat")
        alpha, one_minus_beta_1, one_minus_beta_2 = self._alpha, F32(1 - self.beta_1), F32(1 - self.beta_2)
        epsilon = F32(self.epsilon)
        if backend.get_backend() != "reference":   # the same arithmetic in one fused pass (the engine's adam_update)
            backend.ops.adam_update(w, grad, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2, epsilon)
            return
        m += (grad - m) * one_minus_beta_1
        v += (np.square(grad) - v) * one_minus_beta_2
        if v_hat is not None:
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        w -= (m * alpha) / (np.sqrt(v) + epsilon)


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), Keras 3's ``RMSprop.update_step``
    (keras/src/optimizers/rmsprop.py); ε *inside* the square root, unlike Adam.

    ``v ← ρ·v + (1 − ρ)·g²``; centered: ``ḡ ← ρ·ḡ + (1 − ρ)·g`` and ``den = v − ḡ² + ε``, else
    ``den = v + ε``; ``step = lr·g / √den``; with momentum ``m ← μ·m + step; w ← w − m``, else
    ``w ← w − step``."""

    slot_groups = (("velocity",), ("momentum",), ("average_gradient",))

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="rmsprop", **kwargs):
        self.rho = _check_hyper("rho", rho, 0.0, 1.0)
        self.momentum = _check_hyper("momentum", momentum, 0.0, 1.0)
        self.epsilon = _check_hyper("epsilon", epsilon, 0.0, float("inf"))
        self.centered = bool(centered)
        super().__init__(learning_rate, name, **kwargs)

    def active_slot_names(self):
        names = ("velocity",)
        if self.momentum > 0:
            names += ("momentum",)
        if self.centered:
            names += ("average_gradient",)
        return names

    def update_step(self, grad, variable, slots):
        w, v, rho, one_minus_rho = variable.value, slots["velocity"], F32(self.rho), F32(1 - self.rho)
        v[...] = rho * v + one_minus_rho * np.square(grad)
        if self.centered:
            average = slots["average_gradient"]
            average[...] = rho * average + one_minus_rho * grad
            denominator = v - np.square(average) + F32(self.epsilon)
        else:
            denominator = v + F32(self.epsilon)
        increment = (self._learning_rate * grad) / np.sqrt(denominator)
        if self.momentum > 0:
            m = slots["momentum"]
            m[...] = F32(self.momentum) * m + increment
            w -= m
        else:
            w -= increment


_OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get(identifier):
    """An optimizer from a name (``"sgd"``, ``"adam"``, ``"rmsprop"``: defaults) or an optimizer object."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _OPTIMIZERS:
        return _OPTIMIZERS[identifier.lower()]()
    raise ValueError(f"optimizer: expected one of {sorted(_OPTIMIZERS)} or a scratch.optimizers.Optimizer, "
                     f"received {identifier!r}")

_MISSING = {name: "" for name in ("Adagrad", "Adadelta", "Adamax", "Ftrl", "Lion", "Lamb",
                                  "LossScaleOptimizer", "schedules")}
_MISSING.update({
    "AdamW": "use Adam; decoupled weight decay is not implemented",
    "Nadam": "use Adam (nesterov momentum: SGD(nesterov=True))",
    "schedules": "learning-rate schedules are not implemented; set optimizer.learning_rate between epochs",
})


def __getattr__(name):
    from scratch import _missing_feature
    raise _missing_feature("scratch.optimizers", name, _MISSING,
                           f"the optimizers implemented are {', '.join(sorted(c.__name__ for c in _OPTIMIZERS.values()))}")
