"""Compiled kernels: numba's ``njit``, cached on disk where numba finds a writable place.

numba looks for a cache directory in turn (``NUMBA_CACHE_DIR``, ``__pycache__`` beside the
module, then its user-wide cache) and checks each is writable; the cache spares ``makker
solve`` the compile time on every run after the first. Where none is writable the kernels
are compiled in memory on each run: slower to start, same results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numba

F = TypeVar("F", bound=Callable[..., Any])


def _njit(function: F, **options: Any) -> F:
    try:
        return numba.njit(cache=True, nogil=True, **options)(function)  # type: ignore[no-any-return]
    except RuntimeError:  # numba found no writable cache directory
        return numba.njit(nogil=True, **options)(function)  # type: ignore[no-any-return]


def jit(function: F) -> F:
    """``numba.njit``, cached on disk where possible (see the module docstring)."""
    return _njit(function, inline="always")


def pair_jit(function: F) -> F:
    """:func:`jit` for the small functions of one pair that the loops call: inlined into
    their callers, so a call costs nothing (not even passing the arrays)."""
    return _njit(function, inline="always")
