"""Counter-based random numbers for common random numbers that survive arrests.

A draw is a pure function of (seed, stream, step, key): the same run seed gives the same
draws in a baseline and an intervention run, and removing one actor does not shift any
other actor's draws, because draws are keyed by the actor's stable ``uid``, not by its
position in an array (the approach of Starsim's common random numbers; Kerr et al.,
"Starsim", 2024). The mixer is SplitMix64 (Steele, Lea & Flood, OOPSLA 2014), applied
to the key fields in turn; it passes BigCrush as a counter-based generator.

Aggregate draws (one per market, say) use :meth:`Streams.generator`, a NumPy
``Generator`` seeded by (seed, stream, step): deterministic per step and independent of
every other stream and step.

>>> s = Streams(seed=7)
>>> u = s.uniform("enforcement", step=3, keys=np.array([10, 11, 12]))
>>> bool(np.all((u > 0) & (u < 1)))
True
>>> np.array_equal(u[1:], s.uniform("enforcement", 3, np.array([11, 12])))
True
"""

from __future__ import annotations

import zlib

import numpy as np
from numpy.random.bit_generator import ISeedSequence
from scipy import special

from fentanet.simulate import kernels

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_INV53 = 1.0 / float(1 << 53)
_KEY_TYPES = (np.dtype(np.uint64), np.dtype(np.int64))


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser, vectorised over uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = x + _GAMMA
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
        return z ^ (z >> _S31)


_MASK64 = 0xFFFFFFFFFFFFFFFF


def _mix_int(z: int) -> int:
    """SplitMix64 finaliser on one Python integer (the same as :func:`_mix`)."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def stream_id(name: str) -> int:
    """A stable 32-bit id of a stream name (CRC32, the same on every machine)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Independent, keyed random streams of one run.

    Parameters
    ----------
    seed
        The run's seed (any non-negative integer below 2**63).
    """

    def __init__(self, seed: int) -> None:
        if not 0 <= int(seed) < 2**63:
            raise ValueError(f"seed must be in [0, 2**63), got {seed}")
        self.seed = int(seed)
        self._base = _mix(np.array([self.seed], dtype=np.uint64))[0]
        self._streams: dict[str, int] = {}  # stream name -> mix(base ^ stream id)
        self._keys: dict[str, np.uint64] = {}  # the same as NumPy integers (key)

    def _stream(self, stream: str) -> int:
        h = self._streams.get(stream)
        if h is None:
            h = self._streams[stream] = _mix_int(int(self._base) ^ stream_id(stream))
        return h

    def key(self, stream: str) -> np.uint64:
        """The stream's 64-bit key: :meth:`prefix` of a step is SplitMix64 of ``key ^ step``
        (:func:`fentanet.simulate.binomial.step_prefix`, for a kernel that makes the
        prefixes of a step itself). Kept for the next call."""
        key = self._keys.get(stream)
        if key is None:
            key = self._keys[stream] = np.uint64(self._stream(stream))
        return key

    def prefix(self, stream: str, step: int) -> np.uint64:
        """The 64-bit prefix of (seed, stream, step): ``bits`` is ``mix(key ^ prefix)``.

        For compiled kernels that derive their keyed uniforms themselves, bit-identical to
        :meth:`uniform` (see :func:`fentanet.simulate.binomial.keyed_uniform`). Computed
        on Python integers (the same value as the NumPy path, a few microseconds).
        """
        return np.uint64(_mix_int(self._stream(stream) ^ (int(step) & _MASK64)))

    def _prefix(self, stream: str, step: int, draw: int = 0) -> np.uint64:
        """:meth:`prefix`, further mixed with ``draw`` when it is not 0."""
        h = _mix_int(self._stream(stream) ^ (int(step) & _MASK64))
        return np.uint64(_mix_int(h ^ int(draw)) if draw else h)

    def bits(self, stream: str, step: int, keys: np.ndarray, draw: int = 0) -> np.ndarray:
        """64 random bits per key (uint64); ``draw`` selects further independent draws."""
        prefix = self._prefix(stream, step, draw)
        k = np.asarray(keys).astype(np.uint64, copy=False)
        return _mix(k ^ prefix)

    def uniform(self, stream: str, step: int, keys: np.ndarray, draw: int = 0) -> np.ndarray:
        """Uniform draws in the open interval (0, 1), one per key.

        Computed by a compiled kernel, bit-identical to ``(bits >> 11 + 0.5) / 2**53``.
        """
        prefix = self._prefix(stream, step, draw)
        if (type(keys) is np.ndarray and keys.ndim == 1 and keys.dtype in _KEY_TYPES
                and keys.flags.c_contiguous):  # the kernel reads int64 keys as uint64
            return kernels.keyed_uniform(keys, prefix)
        k = np.ascontiguousarray(np.asarray(keys).astype(np.uint64, copy=False)).ravel()
        return kernels.keyed_uniform(k, prefix).reshape(np.shape(keys))

    def bernoulli(self, stream: str, step: int, keys: np.ndarray, p: np.ndarray | float,
                  draw: int = 0) -> np.ndarray:
        """True with probability ``p`` per key."""
        return self.uniform(stream, step, keys, draw) < p

    def binomial(self, stream: str, step: int, keys: np.ndarray, n: np.ndarray,
                 p: np.ndarray | float, draw: int = 0) -> np.ndarray:
        """Binomial(n, p) per key by inversion of one keyed uniform.

        Inversion makes the draw monotone in ``p`` for a fixed key: raising a seizure
        probability never lowers the count seized with the same random number, which keeps
        baseline-versus-intervention differences free of sign noise.
        """
        u = self.uniform(stream, step, keys, draw)
        return binomial_from_uniform(u, n, p)

    def generator(self, stream: str, step: int) -> np.random.Generator:
        """A NumPy Generator for aggregate draws of one stream at one step: Philox keyed by
        the prefix, counter 0 (``Philox(key=prefix)``, made through :class:`_Key`)."""
        return np.random.Generator(np.random.Philox(_Key(int(self._prefix(stream, step)))))


class _Key(ISeedSequence):
    """The seed of a Philox whose 128-bit key is ``key`` (below 2**64): what
    ``Philox(key=key)`` sets, key words ``(key, 0)`` and counter 0, without the seed
    sequence that a bit generator given no seed fills with entropy from the operating
    system (two thirds of the generator's making, unused once the key is set)."""

    __slots__ = ("key",)

    def __init__(self, key: int) -> None:
        self.key = key

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        if n_words != 2 or np.dtype(dtype) != np.uint64:  # Philox asks for its key only
            raise ValueError(f"a Philox key gives 2 uint64 words, not {n_words} {dtype}")
        return np.array([self.key, 0], dtype=np.uint64)


def binomial_from_uniform(u: np.ndarray, n: np.ndarray | int,
                          p: np.ndarray | float) -> np.ndarray:
    """Binomial(n, p) by inversion of given uniforms (compiled walk, exact bisection where
    the walk would underflow)."""
    if (type(u) is np.ndarray and type(n) is np.ndarray and type(p) is np.ndarray
            and u.ndim == 1 and u.shape == n.shape == p.shape and u.dtype == np.float64
            and n.dtype == np.int64 and p.dtype == np.float64):
        out = kernels.binomial_inverse_clipped(u, n, p)  # the same, in one compiled pass
        if out[1]:
            rest = out[0] < 0
            out[0][rest] = binomial_ppf(u[rest], n[rest], np.clip(p[rest], 0.0, 1.0))
        return out[0]
    u = np.ascontiguousarray(u, dtype=np.float64).ravel()
    n = np.ascontiguousarray(np.broadcast_to(np.asarray(n, dtype=np.int64), u.shape))
    p = np.clip(np.broadcast_to(np.asarray(p, dtype=np.float64), u.shape), 0.0, 1.0)
    p = np.ascontiguousarray(p)
    out = kernels.binomial_inverse(u, n, p, np.empty(u.size, dtype=np.int64))
    rest = out < 0
    if rest.any():
        out[rest] = binomial_ppf(u[rest], n[rest], p[rest])
    return out


def binomial_ppf(u: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Smallest k with P(X <= k) >= u for X ~ Binomial(n, p), vectorised.

    Uses the regularised incomplete beta function (``scipy.special.bdtr``) and a bisection
    on k, exact for every n (no normal approximation).
    """
    u = np.asarray(u, dtype=np.float64)
    n = np.asarray(n, dtype=np.int64)
    p = np.asarray(p, dtype=np.float64)
    lo = np.zeros(u.shape, dtype=np.int64)
    hi = n.copy()
    trivial = (p <= 0) | (n <= 0)
    full = p >= 1
    hi = np.where(trivial, 0, hi)
    lo = np.where(full, n, lo)
    # invariant: answer in [lo, hi]
    while True:
        active = lo < hi
        if not active.any():
            break
        mid = (lo + hi) // 2
        cdf = special.bdtr(mid, n, p)
        go_left = cdf >= u
        hi = np.where(active & go_left, mid, hi)
        lo = np.where(active & ~go_left, mid + 1, lo)
    return lo
