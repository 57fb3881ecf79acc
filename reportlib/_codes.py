"""Integer codes of id and text columns, computed once per column and shared by every layer.

Hashing millions of strings is the single largest cost of a large company: parsing
(blank cells, stripped text, the few distinct month strings), validation (duplicate
customer-months, one-month customers, jumps, ids differing by case) and the revenue engine
(the customer x month grid) all need the same codes. They are cached on the column's
immutable Arrow array, so every step reading the same loaded column pays for one hash
pass; a filtered or rebuilt column is a new array and is factorised afresh, unless the
step that built it says it holds the same values row for row (:func:`share_codes`).

Two numberings of the same column, both cached:

- :func:`factorized`: codes in order of first appearance (``-1`` = missing), as
  :func:`pandas.factorize` numbers them; what the checks that report "the first" use.
- :func:`sorted_codes`: codes in sorted id order, no missing allowed; what the engine uses,
  so that every result is independent of the input's row order.

Beside :mod:`reportlib.values` at the bottom of the chain: imports nothing from reportlib.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "codes_pending",
    "decoded",
    "factorize_ahead",
    "factorized",
    "per_row",
    "share_codes",
    "sorted_codes",
    "take_codes",
]


@dataclass
class _Codes:
    """The cached numberings of one Arrow array (read-only arrays)."""

    first: tuple[np.ndarray, pd.Index]  # first-appearance order, -1 = missing
    ordered: tuple[np.ndarray, pd.Index] | None = None  # sorted order (computed on demand)
    ordering: tuple[int, Future] | None = None  # (process id, ``ordered`` being computed ahead)


#: id(arrow array) -> its codes; entries leave when the array is garbage-collected.
_CACHE: dict[int, _Codes] = {}


def _arrow(values) -> pa.ChunkedArray | pa.Array | None:
    """The immutable Arrow array behind a Series, Index or array (None for numpy data)."""
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.array
    return getattr(values, "_pa_array", None)


def _remember(arrow, entry: _Codes) -> _Codes:
    key = id(arrow)
    if key not in _CACHE:
        weakref.finalize(arrow, _CACHE.pop, key, None)
    _CACHE[key] = entry
    return entry


def _entry(values) -> _Codes:
    arrow = _arrow(values)
    if arrow is not None and id(arrow) in _CACHE:
        return _CACHE[id(arrow)]
    if arrow is not None and (ahead := _AHEAD.get(id(arrow))) is not None and ahead[0] == os.getpid():
        return ahead[1].result()
    entry = _Codes(_frozen(*_factorize(values, arrow)))
    return entry if arrow is None else _remember(arrow, entry)


#: id(arrow array) -> (process id, the codes being computed on the second thread); a forked
#: child has neither the thread nor its result, so it keeps only its own process's entries.
_AHEAD: dict[int, tuple[int, Future]] = {}
_POOL: dict[tuple[int, str], ThreadPoolExecutor] = {}  # (process id, name) -> pool, see _pool


def factorize_ahead(columns: list[pd.Series]) -> None:
    """Start the codes of Arrow-backed ``columns`` on a second thread (their numpy steps
    release the GIL): a reader calls it on the large id columns it has just
    read, and goes on with the other columns while they are factorised. :func:`factorized`
    and :func:`sorted_codes` wait for them."""
    for values in columns:
        arrow = _arrow(values)
        if arrow is None or id(arrow) in _CACHE or id(arrow) in _AHEAD:
            continue
        pool = _pool("reportlib-codes")
        _AHEAD[id(arrow)] = (os.getpid(), pool.submit(_factorized_now, values, arrow, pool))


def codes_pending(values: pd.Series | pd.Index) -> bool:
    """Whether the codes of ``values`` are being computed on the second thread and are not
    done yet (:func:`factorize_ahead`): a reader with other columns to parse parses them first."""
    arrow = _arrow(values)
    if arrow is None or id(arrow) in _CACHE:
        return False
    ahead = _AHEAD.get(id(arrow))
    return ahead is not None and ahead[0] == os.getpid() and not ahead[1].done()


def _pool(name: str) -> ThreadPoolExecutor:
    """This process's one-thread pool of that name, made on first use."""
    key = (os.getpid(), name)
    if key not in _POOL:
        _POOL[key] = ThreadPoolExecutor(1, thread_name_prefix=name)
    return _POOL[key]


def _factorized_now(values, arrow, pool: ThreadPoolExecutor) -> _Codes:
    """Both numberings on ``pool``'s thread: the first-appearance codes, made available as
    soon as they are done, then the sorted ones (the engine's, next in the queue). Large
    id columns are split in two halves, the second factorised on a helper thread."""
    try:
        entry = _Codes(_frozen(*_factorize(values, arrow, _pool("reportlib-codes-half"))))
        entry.ordering = (os.getpid(), pool.submit(_order, entry))
        return _remember(arrow, entry)
    finally:
        _AHEAD.pop(id(arrow), None)


def _frozen(codes: np.ndarray, uniques: pd.Index) -> tuple[np.ndarray, pd.Index]:
    codes = np.asarray(codes, dtype=np.int64)
    codes.flags.writeable = False  # shared by every caller from now on
    return codes, uniques


def _factorize(values, arrow, helper: ThreadPoolExecutor | None = None) -> tuple[np.ndarray, pd.Index]:
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.array
    if isinstance(values, pd.Categorical):
        return np.asarray(values.codes), pd.Index(values.categories)
    if arrow is not None and _is_text(arrow.type):
        found = None if _few_distinct(arrow) else _word_codes_in_halves(arrow, helper)
        if found is not None:
            codes, parts = found
            return codes, pd.Index(pd.array(_word_texts(parts, _width(arrow)), dtype=values.dtype))
        # what pandas' factorize of an Arrow string array does, without its extra copies
        encoded = arrow.dictionary_encode()
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        indices = encoded.indices.fill_null(-1) if encoded.indices.null_count else encoded.indices
        uniques = pd.Index(pd.array(encoded.dictionary, dtype=values.dtype))
        return indices.to_numpy(zero_copy_only=False).astype(np.int64), uniques
    codes, uniques = pd.factorize(values if not isinstance(values, np.ndarray) else pd.array(values))
    return codes, pd.Index(uniques)


#: Ids of one byte length up to this many bytes are hashed as integer words (two at most).
_MAX_WIDTH = 16
_SAMPLE = 4096


def _width(arrow: pa.ChunkedArray | pa.Array) -> int:
    """The byte length of the first value of a non-empty text array."""
    chunk = next(c for c in _chunks(arrow) if len(c))
    return len(chunk[0].as_buffer())


def _chunks(arrow: pa.ChunkedArray | pa.Array) -> list[pa.Array]:
    return arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]


def _fixed_width_words(arrow: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """The values as rows of little-endian int64 words (zero-padded), when every value has
    the same byte length (up to ``_MAX_WIDTH``) and none is missing; None otherwise.

    Exported ids are usually of one length (``cus_0001234``, ``A-10023``); as one or two
    integers each they hash several times faster than as strings (Arrow's or pandas').
    """
    if (
        arrow.null_count
        or not len(arrow)
        or not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type))
    ):
        return None
    width = _width(arrow)
    if not 0 < width <= _MAX_WIDTH:
        return None
    offset_type = np.int64 if pa.types.is_large_string(arrow.type) else np.int32
    n_words = -(-width // 8)
    out = np.zeros((len(arrow), n_words * 8), dtype=np.uint8)
    row = 0
    for chunk in _chunks(arrow):
        n = len(chunk)
        if not n:
            continue
        _, offsets, data = chunk.buffers()
        ends = np.frombuffer(
            offsets, dtype=offset_type, count=n + 1, offset=chunk.offset * np.dtype(offset_type).itemsize
        )
        start = int(ends[0])
        if int(ends[-1]) - start != n * width or (np.diff(ends) != width).any():
            return None
        out[row : row + n, :width] = np.frombuffer(data, dtype=np.uint8, count=n * width, offset=start).reshape(
            n, width
        )
        row += n
    return out.view(np.int64)


def _argsort(uniques: pd.Index) -> np.ndarray:
    """``uniques.argsort()`` of distinct values; ids of one byte length are sorted as their
    big-endian words (the same byte order as Arrow's string sort) rather than as strings."""
    arrow = _arrow(uniques)
    words = None if arrow is None else _fixed_width_words(arrow)
    if words is None:
        return uniques.argsort()
    keys = words.byteswap().view(np.uint64)  # big-endian: integer order is byte order
    return np.lexsort(keys.T[::-1])


def _few_distinct(arrow: pa.ChunkedArray | pa.Array) -> bool:
    """Few distinct values in the first rows (months, plans, countries): Arrow's hash table
    then stays in the CPU cache and is faster than copying the values out as words."""
    sample = arrow.slice(0, _SAMPLE)
    return pc.count_distinct(sample).as_py() * 16 <= len(sample)


#: Id columns of this many rows are factorised in two halves at once (with a helper thread).
_SPLIT_ROWS = 1_000_000


def _word_codes_in_halves(arrow, helper: ThreadPoolExecutor | None) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_word_codes` of the whole array; a large one in two halves, the second on
    ``helper``'s thread (the numpy steps release the GIL), their distinct words then
    factorised once more: the first half's come first, then the second half's new ones in
    their order, so the codes are the whole column's order of first appearance."""
    if helper is None or len(arrow) < _SPLIT_ROWS:
        return _word_codes(arrow)
    half = len(arrow) // 2
    later = helper.submit(_word_codes, arrow.slice(half))
    first = _word_codes(arrow.slice(0, half))
    second = later.result()
    if first is None or second is None or _width(arrow.slice(half)) != _width(arrow):
        return None
    (head, head_words), (tail, tail_words) = first, second
    merged, words = _distinct_words(np.concatenate([head_words, tail_words]))
    return np.concatenate([head, merged[len(head_words) :][tail]]), words


def _word_codes(arrow) -> tuple[np.ndarray, np.ndarray] | None:
    """First-appearance codes of fixed-width text and its distinct values as word rows;
    None when the values are not of one byte length (see :func:`_fixed_width_words`)."""
    words = _fixed_width_words(arrow)
    return None if words is None else _distinct_words(words)


def _distinct_words(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-appearance codes of the rows of ``words`` and the distinct rows.

    Each word column is factorised alone, then the pair of codes (a row's key, below
    rows**2 so it fits an int64): codes in order of first appearance, as a string hash gives.
    """
    codes, distinct = pd.factorize(words[:, 0])
    parts = [distinct]  # the word values of each distinct key, column by column
    for k in range(1, words.shape[1]):
        word_codes, word_values = pd.factorize(words[:, k])
        keys, distinct_keys = _factorize_keys(codes * len(word_values) + word_codes, len(parts[0]) * len(word_values))
        previous, current = np.divmod(distinct_keys, len(word_values))
        parts = [p[previous] for p in parts] + [word_values[current]]
        codes = keys
    return codes, np.stack(parts, axis=1).astype(np.int64)


def _word_texts(words: np.ndarray, width: int) -> pa.Array:
    """The text of word rows of ``width`` bytes (zero padding cut off)."""
    raw = np.ascontiguousarray(words).view(np.uint8)[:, :width]
    return pa.LargeStringArray.from_buffers(
        len(raw), pa.py_buffer(np.arange(len(raw) + 1, dtype=np.int64) * width), pa.py_buffer(raw.tobytes())
    )


def _factorize_keys(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pandas.factorize` of non-negative int64 keys below ``size``: by each key's first
    row in a dense array when ``size`` is small next to the row count, else by hashing."""
    if size > len(keys):
        return pd.factorize(keys)
    first = np.full(size, len(keys), dtype=np.int64)
    np.minimum.at(first, keys, np.arange(len(keys)))
    present = np.flatnonzero(first < len(keys))
    distinct = present[np.argsort(first[present], kind="stable")]
    rank = np.empty(size, dtype=np.int64)
    rank[distinct] = np.arange(len(distinct))
    return rank[keys], distinct


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)


def factorized(ids: pd.Series | pd.Index | np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of ``ids`` in order of first appearance, ``-1`` for a missing value,
    and the distinct values (read-only int64 array, Index): :func:`pandas.factorize`,
    cached on an Arrow-backed column."""
    return _entry(ids).first


def sorted_codes(ids: pd.Series | pd.Index | np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of ids, numbered in sorted id order (read-only int64 array, uniques).

    Hash-factorising and then sorting only the (far fewer) unique ids is much faster than a
    sorted factorise, and makes every downstream result independent of input row order.

    Raises
    ------
    ValueError
        When an id is missing.
    """
    entry = _entry(ids)
    if entry.ordered is None and entry.ordering is not None and entry.ordering[0] == os.getpid():
        with contextlib.suppress(ValueError):  # a missing id: raised below, in this thread
            entry.ordering[1].result()
    if entry.ordered is None:
        _order(entry)
    return entry.ordered


def _order(entry: _Codes) -> None:
    """Fill ``entry.ordered`` (ValueError when an id is missing)."""
    codes, uniques = entry.first
    if (codes < 0).any():
        raise ValueError("customer_id has missing values")
    if len(uniques) > 1 and not uniques.is_monotonic_increasing:
        order = _argsort(uniques)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes, uniques = rank[codes], uniques[order]
    entry.ordered = _frozen(codes, uniques)


def share_codes(source: pd.Series | pd.Index, target: pd.Series | pd.Index) -> None:
    """Let ``target`` (the same values as ``source``, row for row, e.g. after a cast) use the
    codes of ``source``, computed or not yet."""
    src, dst = _arrow(source), _arrow(target)
    if dst is None or dst is src or src is None:
        return
    entry, dtype = _entry(source), target.dtype
    if entry.first[1].dtype == dtype:
        _remember(dst, entry)
        return
    # the distinct values in the target's own dtype (``str`` and ``string`` differ in missing values)
    shared = _Codes(
        (entry.first[0], entry.first[1].astype(dtype)),
        None if entry.ordered is None else (entry.ordered[0], entry.ordered[1].astype(dtype)),
    )
    pid = os.getpid()
    if shared.ordered is None and entry.ordering is not None and entry.ordering[0] == pid:
        # the source's sorted codes are being computed ahead: these follow them on that thread
        shared.ordering = (pid, _pool("reportlib-codes").submit(_order_like, entry, shared))
    _remember(dst, shared)


def _order_like(source: _Codes, entry: _Codes) -> None:
    """Fill ``entry.ordered`` from ``source``'s (the same values in another dtype)."""
    if source.ordered is None:
        _order(source)  # ValueError when an id is missing
    codes, uniques = source.ordered
    entry.ordered = (codes, uniques.astype(entry.first[1].dtype))


def _in_first_appearance_order(codes: np.ndarray, size: int) -> bool:
    """Every code in ``range(size)`` used, none missing, each new one the next number.

    ``codes`` may be a small integer type (a categorical's): the running maximum then
    steps by at most one, and its steps never overflow."""
    if not len(codes) or codes[0] != 0 or codes.min() < 0:
        return False
    highest = np.maximum.accumulate(codes)
    return int(highest[-1]) == size - 1 and (len(codes) < 2 or int(np.diff(highest).max()) <= 1)


def take_codes(
    codes: np.ndarray,
    uniques: pd.Index,
    *,
    index: pd.Index | None = None,
    name: object = None,
    dtype: str | pd.StringDtype = "string",
) -> pd.Series:
    """The text column (``dtype``) whose row ``i`` is ``uniques[codes[i]]`` (missing where the
    code is -1), built by Arrow and born with these codes: ``uniques`` must be distinct and
    numbered in order of first appearance in ``codes``, as :func:`factorized` numbers them."""
    dictionary = pa.array(np.asarray(uniques, dtype=object), type=pa.large_string())
    indices = pa.array(codes, mask=codes < 0, type=pa.int64())
    column = pd.Series(pd.array(dictionary.take(indices), dtype=dtype), index=index, name=name)
    _remember(_arrow(column), _Codes(_frozen(codes, pd.Index(pd.array(dictionary, dtype=dtype)))))
    return column


def decoded(values: pd.Series, dtype: str | pd.StringDtype) -> pd.Series:
    """The text column (``dtype``) of a categorical one (a Parquet reader's dictionary-encoded
    column), born with its codes: the few distinct texts are never hashed again."""
    categorical = values.array
    size = len(categorical.categories)
    if _in_first_appearance_order(np.asarray(categorical.codes), size):  # checked in their own small type
        first, kept = np.asarray(categorical.codes, dtype=np.int64), np.arange(size)  # the usual Parquet dictionary
    else:
        codes = np.asarray(categorical.codes, dtype=np.int64)
        valid = codes >= 0
        first = np.full(len(codes), -1, dtype=np.int64)
        if valid.all():
            first, kept = _factorize_keys(codes, size)
        elif valid.any():
            first[valid], kept = _factorize_keys(codes[valid], size)
        else:
            kept = np.array([], dtype=np.int64)
    return take_codes(first, categorical.categories[kept], index=values.index, name=values.name, dtype=dtype)


def per_row(values: np.ndarray, codes: np.ndarray, fill: object) -> np.ndarray:
    """``values[codes]``: each row's value from one value per code, ``fill`` where the code
    is -1 (missing). One gather: code -1 reads the ``fill`` appended at the end."""
    values = np.asarray(values)
    return np.append(values, np.array([fill], dtype=values.dtype))[codes]
