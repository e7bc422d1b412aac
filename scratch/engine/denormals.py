"""Flush denormal floats to zero while training, as TensorFlow's CPU kernels do.

Values below ``float32``'s smallest normal number (~1.2e-38) — e.g. the square of a tiny gradient
in Adam's second moment — are "denormal": x86 processors compute with them up to ~100x slower.
TensorFlow sets the processor's flush-to-zero (FTZ) and denormals-are-zero (DAZ) modes in its
threads, so its numbers never carry them. :func:`flush_denormals` sets the same two bits of the
x86 ``MXCSR`` register for the duration of a ``with`` block (the calling thread only) and
restores them afterwards. The effect on results is below 1e-38; on other processors it does nothing.

Example::

    >>> with flush_denormals():
    ...     pass
"""
import contextlib
import platform

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from scratch.engine import openblas

_FTZ_DAZ = 0x8040  # MXCSR bit 15: flush to zero; bit 6: denormals are zero
_X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")


def _mxcsr_call(builder, name, pointer):
    fn_type = ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer()])
    fn = cgutils.get_or_insert_function(builder.module, fn_type, name)
    builder.call(fn, [builder.bitcast(pointer, ir.IntType(8).as_pointer())])


@intrinsic
def _read_mxcsr(typingctx):
    def codegen(context, builder, signature, args):
        slot = cgutils.alloca_once(builder, ir.IntType(32))
        _mxcsr_call(builder, "llvm.x86.sse.stmxcsr", slot)
        return builder.load(slot)
    return types.uint32(), codegen


@intrinsic
def _write_mxcsr(typingctx, value):
    def codegen(context, builder, signature, args):
        slot = cgutils.alloca_once_value(builder, args[0])
        _mxcsr_call(builder, "llvm.x86.sse.ldmxcsr", slot)
        return context.get_dummy_value()
    return types.void(types.uint32), codegen


@njit(cache=True)
def get_mxcsr():
    return _read_mxcsr()


@njit(cache=True)
def set_mxcsr(value):
    _write_mxcsr(value)


def float_mode():
    """This thread's floating-point mode (the x86 MXCSR register; None on other processors).
    A thread starts in the mode of the thread that created it."""
    return int(get_mxcsr()) if _X86 else None


@contextlib.contextmanager
def flush_denormals():
    """Within the block, float results below the smallest normal number become 0 (x86 only),
    in this thread and in OpenBLAS's worker threads (restarted on entry and on exit so that
    they take the mode in force)."""
    if not _X86:
        yield
        return
    before = get_mxcsr()
    set_mxcsr(before | _FTZ_DAZ)
    openblas.restart_threads()
    try:
        yield
    finally:
        set_mxcsr(before)
        openblas.restart_threads()
