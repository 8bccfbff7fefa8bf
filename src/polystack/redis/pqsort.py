"""Redis's partial quicksort (pqsort.c, a Bentley-McIlroy quicksort that only recurses into the
parts overlapping the wanted index range).  GEORADIUS ... COUNT and SORT ... LIMIT use it, so
elements that compare equal come out in the order it leaves them, which a stable sort would not
reproduce."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def pqsort(a: list[T], cmp: Callable[[T, T], int], lrange: int, rrange: int) -> None:
    """Sort ``a`` in place so that positions lrange..rrange (inclusive) hold what a full sort
    would put there, moving elements exactly as Redis's pqsort does."""
    _pqsort(a, 0, len(a), cmp, lrange, rrange)


def _med3(a: list[T], i: int, j: int, k: int, cmp: Callable[[T, T], int]) -> int:
    if cmp(a[i], a[j]) < 0:
        if cmp(a[j], a[k]) < 0:
            return j
        return k if cmp(a[i], a[k]) < 0 else i
    if cmp(a[j], a[k]) > 0:
        return j
    return i if cmp(a[i], a[k]) < 0 else k


def _vecswap(a: list[T], i: int, j: int, n: int) -> None:
    for t in range(n):
        a[i + t], a[j + t] = a[j + t], a[i + t]


def _pqsort(a: list[T], base: int, n: int, cmp: Callable[[T, T], int], lo: int, hi: int) -> None:
    while True:
        if n < 7:
            for m in range(base + 1, base + n):
                pl = m
                while pl > base and cmp(a[pl - 1], a[pl]) > 0:
                    a[pl], a[pl - 1] = a[pl - 1], a[pl]
                    pl -= 1
            return
        pm = base + n // 2
        if n > 7:
            pl = base
            pn = base + n - 1
            if n > 40:
                d = n // 8
                pl = _med3(a, pl, pl + d, pl + 2 * d, cmp)
                pm = _med3(a, pm - d, pm, pm + d, cmp)
                pn = _med3(a, pn - 2 * d, pn - d, pn, cmp)
            pm = _med3(a, pl, pm, pn, cmp)
        a[base], a[pm] = a[pm], a[base]
        pa = pb = base + 1
        pc = pd = base + n - 1
        while True:
            while pb <= pc:
                c = cmp(a[pb], a[base])
                if c > 0:
                    break
                if c == 0:
                    a[pa], a[pb] = a[pb], a[pa]
                    pa += 1
                pb += 1
            while pb <= pc:
                c = cmp(a[pc], a[base])
                if c < 0:
                    break
                if c == 0:
                    a[pc], a[pd] = a[pd], a[pc]
                    pd -= 1
                pc -= 1
            if pb > pc:
                break
            a[pb], a[pc] = a[pc], a[pb]
            pb += 1
            pc -= 1
        pn = base + n
        r = min(pa - base, pb - pa)
        _vecswap(a, base, pb - r, r)
        r = min(pd - pc, pn - pd - 1)
        _vecswap(a, pb, pn - r, r)
        r = pb - pa
        if r > 1 and not (hi < base or lo >= base + r):
            _pqsort(a, base, r, cmp, lo, hi)
        r = pd - pc
        if r <= 1:
            return
        base, n = pn - r, r
        if hi < base or lo >= base + n:
            return
