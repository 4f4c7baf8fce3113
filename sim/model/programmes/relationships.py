"""How a programme stores its relationships: the :class:`Relationships` table."""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.jit import kernel

_EMPTY_INT = np.empty(0, dtype=np.int64)
_EMPTY_FLOAT = np.empty(0, dtype=np.float64)


class RelationshipColumns(NamedTuple):
    """The columns of a relationship table, as the kernels take them (by field name).

    Attributes:
        a: Id of the guide (or the first peer).
        b: Id of the learner (or the second peer).
        quality: Relationship quality in [0.05, 1].
        alignment: Goal alignment of the members in [0, 1] (1 = the same goals), set
            when the relationship forms.
        start: Week the relationship started.
        end: Week it ends.
        group: Group number shared by the relationships of one group (-1 in pairs).
        need: Domain a need-focused relationship covers (-1 if none).
        pos_a: Position of ``a`` when last looked up.
        pos_b: Position of ``b`` when last looked up.
    """

    a: np.ndarray
    b: np.ndarray
    quality: np.ndarray
    alignment: np.ndarray
    start: np.ndarray
    end: np.ndarray
    group: np.ndarray
    need: np.ndarray
    pos_a: np.ndarray
    pos_b: np.ndarray


#: Columns of floating-point numbers; the others hold integers.
_FLOAT_COLUMNS = ("quality", "alignment")


class Relationships:
    """Growable table of pairwise relationships, stored by employee id.

    ``a`` is the guide (or the first peer) and ``b`` the learner (or the second peer).
    Storing ids rather than positions means a promotion does not break a relationship,
    and a leaver's relationships end because their id no longer maps to a position. A
    group is stored as the relationships between every two of its members, sharing a
    ``group`` number; ``need`` is the domain a need-focused relationship covers (-1 if
    none).

    The columns (:class:`RelationshipColumns`) are views of length ``len(self)`` into
    storage that grows by doubling, so adding relationships does not copy the table; a
    view read from the table reflects later changes to the table (copy it to keep it).
    ``pos_a`` and ``pos_b`` hold the members' positions as of the last
    :func:`~sim.model.programmes.kernels.end_relationships` or :meth:`locate` (or as given
    to :meth:`add`), so the week's matching and sessions need not look them up again.
    """

    if TYPE_CHECKING:  # the columns, read-only properties added below the class
        a: np.ndarray
        b: np.ndarray
        quality: np.ndarray
        alignment: np.ndarray
        start: np.ndarray
        end: np.ndarray
        group: np.ndarray
        need: np.ndarray
        pos_a: np.ndarray
        pos_b: np.ndarray

    def __init__(self) -> None:
        self._n = 0
        self._store = RelationshipColumns._make(
            np.empty(0, dtype=np.float64 if name in _FLOAT_COLUMNS else np.int64)
            for name in RelationshipColumns._fields
        )
        self._expose()

    def __len__(self) -> int:
        return self._n

    def _expose(self) -> None:
        """Point the public columns at the first ``len(self)`` rows of the storage."""
        n = self._n
        self._columns = RelationshipColumns._make([column[:n] for column in self._store])

    def columns(self) -> RelationshipColumns:
        """The columns (views, for kernels)."""
        return self._columns

    def truncate(self, n: int) -> None:
        """Keep only the first ``n`` relationships."""
        if n >= self._n:  # most weeks nothing ends: the views stand as they are
            return
        self._n = n
        self._expose()

    def add(
        self,
        a: np.ndarray,
        b: np.ndarray,
        quality: np.ndarray,
        start: int,
        end: int,
        group: np.ndarray | None = None,
        need: np.ndarray | None = None,
        pos_a: np.ndarray | None = None,
        pos_b: np.ndarray | None = None,
        alignment: np.ndarray | None = None,
    ) -> None:
        """Append relationships between ids ``a`` and ``b`` (at ``pos_a`` and ``pos_b``).

        Without ``alignment``, the members' goals count as aligned (1).
        """
        k = len(a)
        store, n = self.room(k)
        unset = _EMPTY_INT  # group, need and positions default to -1
        append_rows(
            store,
            n,
            RelationshipColumns(
                a=a,
                b=b,
                quality=quality,
                alignment=_EMPTY_FLOAT if alignment is None else alignment,
                start=_EMPTY_INT,  # one start and end for all: the arguments below
                end=_EMPTY_INT,
                group=unset if group is None else group,
                need=unset if need is None else need,
                pos_a=unset if pos_a is None else pos_a,
                pos_b=unset if pos_b is None else pos_b,
            ),
            start,
            end,
        )
        self.grew(k)

    def room(self, k: int) -> tuple[RelationshipColumns, int]:
        """The storage columns, grown to hold ``k`` more rows, and the first free row.

        For kernels that write new relationships straight into the storage, as
        :func:`append_rows` does; :meth:`grew` then counts them in.
        """
        n = self._n
        if n + k > len(self._store.a):
            size = max(n + k, 2 * len(self._store.a), 64)
            grown = []
            for column in self._store:
                wider = np.empty(size, dtype=column.dtype)
                wider[:n] = column[:n]
                grown.append(wider)
            self._store = RelationshipColumns._make(grown)
        return self._store, n

    def grew(self, k: int) -> None:
        """Count in the ``k`` rows written after the last one (into :meth:`room`)."""
        self._n += k
        self._expose()

    def locate(self, slot_of_id: np.ndarray) -> None:
        """Look up the members' positions (``pos_a``, ``pos_b``) afresh."""
        self.pos_a[:] = slot_of_id[self.a]
        self.pos_b[:] = slot_of_id[self.b]


# The columns read as attributes of the table (``rel.a``, ``rel.quality``, ...), each the
# view of that name in its current columns.
for _name in RelationshipColumns._fields:
    setattr(Relationships, _name, property(attrgetter(f"_columns.{_name}")))
del _name


@kernel
def append_rows(
    store: RelationshipColumns, n: int, new: RelationshipColumns, start: int, end: int
) -> None:
    """Write new relationships into rows ``n`` onwards of a table's storage columns.

    Every new relationship starts at ``start`` and ends at ``end`` (``new.start`` and
    ``new.end`` are not read); an empty ``new.group``, ``new.need``, ``new.pos_a`` or
    ``new.pos_b`` stands for -1 throughout, an empty ``new.alignment`` for 1.
    """
    for i in range(len(new.a)):
        r = n + i
        store.a[r] = new.a[i]
        store.b[r] = new.b[i]
        store.quality[r] = new.quality[i]
        store.alignment[r] = new.alignment[i] if len(new.alignment) else 1.0
        store.start[r] = start
        store.end[r] = end
        store.group[r] = new.group[i] if len(new.group) else -1
        store.need[r] = new.need[i] if len(new.need) else -1
        store.pos_a[r] = new.pos_a[i] if len(new.pos_a) else -1
        store.pos_b[r] = new.pos_b[i] if len(new.pos_b) else -1
