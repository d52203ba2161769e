"""NumPy's own inner loops of its math functions, called from compiled kernels.

NumPy computes ``np.exp``, ``np.expm1``, ``np.log`` and ``**`` of float64 arrays with loops of its
own (on a processor with AVX-512 its SIMD code), whose results differ from the C library's
that numba calls for ``math.exp`` in the last bit for some inputs (``exp``: 4.6% of normal
draws of scale 30 on this machine). A kernel that must give NumPy's numbers bit for bit
could not compute them itself: the phase left the compiled call, made the NumPy call and
came back (each such call costs a few microseconds inside a step, docs/model.md section
10). This module hands a kernel the loop NumPy itself runs: the address of the ufunc's
inner loop for ``d->d`` (the first loop of that signature, the one NumPy picks for float64
arrays), read from the ufunc object (``PyUFuncObject.functions``, numpy/_core/include/
numpy/ufuncobject.h) with the data NumPy hands it, and :func:`apply`, which calls it as
NumPy does (``args``, ``dimensions``, ``steps``, ``data``) over a contiguous array: the
same machine code on the same values, so the same bits. SciPy's special functions are
ufuncs too (:data:`NDTRI`). The loops are checked at import against the ufuncs
themselves on values of every kind (:func:`_check`).

A kernel takes the loop as an argument (:data:`EXP`, :data:`EXPM1`, :data:`LOG`,
:data:`POWER`, :data:`NDTRI`: a pair of addresses): an address is valid in one process
only, and numba's cache keeps a compiled function's constants (a global read in a kernel
is one).

Where the loops cannot be read or do not give the ufuncs' numbers (another layout of the
ufunc object: a NumPy this module does not know, a free-threaded Python), the kernels get
loops of the same form compiled here instead (:func:`own_loops`): the C library's ``exp``,
``expm1``, ``log`` and ``pow`` (as numba's ``math``) and SciPy's Cython ``ndtri``. A run is
then as reproducible as before, and its numbers differ from NumPy's in the last bit of some
values (so its draws, in time, too). :data:`NUMPY_LOOPS` says which are in use and
:data:`FALLBACK` why not NumPy's; the environment variable ``FENTANET_OWN_LOOPS=1`` asks for
the module's own (tests).
"""

from __future__ import annotations

import ctypes
import math
import os

import numba
import numba.core.errors
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic
from scipy import special

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)

_FUNCTIONS = 32
"""Byte offset of ``functions`` in ``PyUFuncObject``: after the object header (reference
count and type, 16 bytes) and the four ints ``nin``, ``nout``, ``nargs``, ``identity``."""
_NTYPES = 48
"""Byte offset of ``ntypes`` (after ``functions`` and ``data``, two pointers)."""


def loop_of(ufunc: np.ufunc, signature: str = "d->d") -> tuple[int, int]:
    """``ufunc``'s inner loop for ``signature`` (the first of its ``types`` that matches,
    as NumPy chooses): the addresses of the function and of its data."""
    i = ufunc.types.index(signature)
    base = id(ufunc)
    if ctypes.c_int.from_address(base + _NTYPES).value != ufunc.ntypes:
        raise RuntimeError(f"numpy {np.__version__}: the ufunc object's layout is not the "
                           "one fentanet.simulate.nploops reads")
    functions = ctypes.c_void_p.from_address(base + _FUNCTIONS).value
    data = ctypes.c_void_p.from_address(base + _FUNCTIONS + 8).value
    function = ctypes.c_void_p.from_address(functions + 8 * i).value
    return function, (ctypes.c_void_p.from_address(data + 8 * i).value or 0) if data else 0


@intrinsic
def _call(typingctx, function, data, x, out, n, e, binary):
    """Call the inner loop ``function`` (with its ``data``) on ``n`` elements: the input
    at the address ``x`` and the output at ``out`` (steps of 8), with ``binary`` a second
    input ``e`` broadcast (a step of 0) before the output. Its ``args``, ``dimensions``
    and ``steps`` arrays and ``e`` are made on the stack, alive until it returns."""
    def codegen(context, builder, signature, llargs):
        fn_addr, p_data, p_x, p_out, count, exponent, two = llargs
        i8p = ir.IntType(8).as_pointer()
        i64 = ir.IntType(64)
        args = cgutils.alloca_once(builder, i8p, size=3)
        dims = cgutils.alloca_once(builder, i64, size=1)
        steps = cgutils.alloca_once(builder, i64, size=3)
        e_at = cgutils.alloca_once_value(builder, exponent)
        x_at, out_at = builder.inttoptr(p_x, i8p), builder.inttoptr(p_out, i8p)
        two = builder.icmp_unsigned("!=", two, ir.Constant(two.type, 0))
        eight, zero = ir.Constant(i64, 8), ir.Constant(i64, 0)
        ptrs = (x_at, builder.select(two, builder.bitcast(e_at, i8p), out_at), out_at)
        strides = (eight, builder.select(two, zero, eight), eight)
        for k in range(3):
            builder.store(ptrs[k], builder.gep(args, [ir.Constant(i64, k)]))
            builder.store(strides[k], builder.gep(steps, [ir.Constant(i64, k)]))
        builder.store(count, dims)
        fnty = ir.FunctionType(ir.VoidType(), [i8p.as_pointer(), i64.as_pointer(),
                                               i64.as_pointer(), i8p])
        fn = builder.inttoptr(fn_addr, fnty.as_pointer())
        builder.call(fn, [args, dims, steps, builder.inttoptr(p_data, i8p)])
        return context.get_dummy_value()
    return types.void(function, data, x, out, n, e, binary), codegen


@intrinsic
def _contiguous_float64(typingctx, x, out):
    """Nothing at run time; a call with ``x`` or ``out`` anything but a C-contiguous
    float64 array does not compile (a loop steps 8 bytes from the array's first element
    over its ``size`` values: a strided view or another dtype read and wrote other memory)."""
    for name, a in (("x", x), ("out", out)):
        if not (isinstance(a, types.Array) and a.dtype == types.float64 and a.layout == "C"):
            raise numba.core.errors.TypingError(
                f"fentanet.simulate.nploops: {name} must be a C-contiguous float64 array, "
                f"got {a}")

    def codegen(context, builder, signature, llargs):
        return context.get_dummy_value()
    return types.void(x, out), codegen


@numba.njit(cache=True)
def _checked(x, out):
    """Refuse ``x`` and ``out`` of different lengths or overlapping but for being one
    array (the loop would write past ``out`` or read what it wrote)."""
    _contiguous_float64(x, out)
    if out.size != x.size:
        raise ValueError("fentanet.simulate.nploops: x and out differ in size")
    a, b = x.ctypes.data, out.ctypes.data
    if a != b and a < b + 8 * out.size and b < a + 8 * x.size:
        raise ValueError("fentanet.simulate.nploops: out overlaps x (it may be x itself)")


@numba.njit(cache=True)
def apply(loop, x, out):
    """``out[:] = f(x)`` by the inner ``loop`` (:func:`loop_of`) over the C-contiguous
    float64 arrays ``x`` and ``out`` of one length (``out`` may be ``x``; anything else
    is refused: :func:`_checked`)."""
    _checked(x, out)
    _call(loop[0], loop[1], x.ctypes.data, out.ctypes.data, x.size, 0.0, False)


@numba.njit(cache=True)
def power(loop, x, e, out):
    """``out[:] = x ** e`` by NumPy's ``power`` loop (:data:`POWER`) with the exponent
    ``e`` broadcast (a step of 0), as ``x ** e`` with ``e`` a float runs it, over the
    C-contiguous float64 arrays ``x`` and ``out`` of one length (``out`` may be ``x``;
    anything else is refused: :func:`_checked`)."""
    _checked(x, out)
    _call(loop[0], loop[1], x.ctypes.data, out.ctypes.data, x.size, float(e), True)


_SIGNATURE = types.void(types.CPointer(types.voidptr), types.CPointer(types.intp),
                        types.CPointer(types.intp), types.voidptr)
"""An inner loop's C signature: ``(args, dimensions, steps, data)``."""


def _own_unary(f):
    """A loop of NumPy's form computing ``f`` element by element over the contiguous
    arrays :func:`apply` hands it (a numba ``CFunc``)."""
    @numba.cfunc(_SIGNATURE)
    def loop(args, dims, steps, data):
        n = dims[0]
        x = numba.carray(args[0], n, np.float64)
        out = numba.carray(args[1], n, np.float64)
        for i in range(n):
            out[i] = f(x[i])
    return loop


def own_loops() -> dict[str, tuple[int, int]]:
    """Loops of NumPy's form compiled here (the module's fallback): ``exp``, ``expm1``,
    ``log`` and ``pow`` of the C library, as numba's ``math`` calls them, and SciPy's
    Cython ``ndtri`` (the function its ufunc wraps), by name."""
    from numba.extending import get_cython_function_address

    ndtri_c = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)(
        get_cython_function_address("scipy.special.cython_special", "ndtri"))

    @numba.njit
    def ndtri(x):
        return ndtri_c(x)

    @numba.njit(error_model="numpy")  # C's pow at 0 ** -e too, where Python raises
    def pow_(x, e):
        return x ** e

    @numba.cfunc(_SIGNATURE)
    def power_loop(args, dims, steps, data):
        n = dims[0]
        x = numba.carray(args[0], n, np.float64)
        e = numba.carray(args[1], 1, np.float64)[0]  # broadcast: a step of 0
        out = numba.carray(args[2], n, np.float64)
        for i in range(n):
            out[i] = pow_(x[i], e)

    compiled = {name: _own_unary(f) for name, f in
                (("exp", numba.njit(lambda x: math.exp(x))),
                 ("expm1", numba.njit(lambda x: math.expm1(x))),
                 ("log", numba.njit(lambda x: math.log(x), error_model="numpy")),
                 ("ndtri", ndtri))}
    compiled["power"] = power_loop
    # the kernels hold only addresses: the code behind them lives while its CFunc does
    _own_loops_kept.append((ndtri_c, compiled))
    return {name: (loop.address, 0) for name, loop in compiled.items()}


_own_loops_kept: list = []
"""The fallback's compiled loops and the ctypes function they call, for the process's
life."""


def _numpy_loops() -> dict[str, tuple[int, int]]:
    """NumPy's (and SciPy's ``ndtri``) loops by name, checked (:func:`_check`)."""
    loops = {"exp": loop_of(np.exp), "expm1": loop_of(np.expm1), "log": loop_of(np.log),
             "power": loop_of(np.power, "dd->d"), "ndtri": loop_of(special.ndtri)}
    _check(loops)
    return loops


def _check(loops: dict[str, tuple[int, int]]) -> None:
    """Each loop against its ufunc, bit for bit, on values of every kind (signed zeros,
    infinities, NaN, subnormals, large and small, every position of a vector of 8)."""
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e-300, 709.7,
                  710.0, -745.0, -746.0, 1.0, -1.0, 0.5, 1e-20, -1e-20, 3.0, 1e308])
    x = np.concatenate([x, np.linspace(-40.0, 40.0, 61), np.geomspace(1e-12, 1e12, 37)])
    with np.errstate(all="ignore"):
        u = 1.0 / (1.0 + np.exp(-x))  # ndtri's domain
    for loop, ufunc, values in ((loops["exp"], np.exp, x), (loops["expm1"], np.expm1, x),
                                (loops["log"], np.log, x), (loops["ndtri"], special.ndtri, u)):
        for lo in range(8):  # every alignment of the start within a vector
            xs = values[lo:].copy()
            out = np.empty_like(xs)
            with np.errstate(all="ignore"):
                apply(loop, xs, out)
                want = ufunc(xs)
            if out.tobytes() != want.tobytes():
                raise RuntimeError(f"numpy {np.__version__}: the inner loop read for "
                                   f"{ufunc.__name__} does not give its numbers")
    for e in (2.0, 0.5, -1.0, 1.0, 0.0, -0.5, 1.0 / 0.4, -3.7, np.inf, np.nan):
        out = np.empty_like(x)
        with np.errstate(all="ignore"):
            power(loops["power"], x, e, out)
            want = x ** e
        if out.tobytes() != want.tobytes():
            raise RuntimeError(f"numpy {np.__version__}: the inner loop read for power does "
                               "not give its numbers")


FALLBACK = ("asked for by FENTANET_OWN_LOOPS"
            if os.environ.get("FENTANET_OWN_LOOPS", "") not in ("", "0") else "")
"""Why the kernels run this module's own loops (:func:`own_loops`), not NumPy's; empty when
they run NumPy's."""
_LOOPS: dict[str, tuple[int, int]] = {}
if not FALLBACK:
    try:
        _LOOPS = _numpy_loops()
    except Exception as error:  # any failure to read or check them: our own loops
        FALLBACK = f"numpy {np.__version__}: {error}"
if FALLBACK:
    _LOOPS = own_loops()
NUMPY_LOOPS = not FALLBACK
"""Whether the kernels run NumPy's own loops (the ufuncs' numbers, bit for bit)."""

EXP = _LOOPS["exp"]
"""The ``exp`` loop for float64 (NumPy's, or :func:`own_loops`')."""
EXPM1 = _LOOPS["expm1"]
"""The ``expm1`` loop for float64."""
LOG = _LOOPS["log"]
"""The ``log`` loop for float64."""
POWER = _LOOPS["power"]
"""The ``power`` loop for float64, the exponent broadcast (:func:`power`)."""
NDTRI = _LOOPS["ndtri"]
"""SciPy's ``ndtri`` (the normal quantile) loop for float64."""


def numpy_version() -> str:
    """NumPy's version as a run records it (its draws and math come from NumPy), followed
    by ``(fentanet's own math loops)`` where the kernels run :func:`own_loops`: their
    numbers differ from NumPy's loops' in the last bit of some values, so a run made so
    is another engine's (:func:`fentanet.ensemble.core.other_build` says so when one is
    made again)."""
    return np.__version__ if NUMPY_LOOPS else f"{np.__version__} (fentanet's own math loops)"
