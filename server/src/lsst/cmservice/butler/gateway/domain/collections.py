"""Collection mutations: ensure, assemble inputs, chain, remove, disassociate; atomic, with dry runs.

Each operation is a body run by `run_mutation` (one transaction, dry runs rolled back, deadlocks
retried). Concurrency of chain edits: the parent row is locked exclusively before its children are
read (daf_butler's own lock, taken early), and every CHAINED collection reachable from the new
children is locked shared before it is read for the cycle check. Two edits that could close a
cycle therefore conflict on a lock: one waits and then sees the other's edge, or PostgreSQL aborts
one as a deadlock and its retry sees it. SQLite serialises writers (``BEGIN IMMEDIATE``) anyway.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from lsst.daf.butler import Butler, CollectionType, DatasetRef, MissingCollectionError
from lsst.daf.butler.registry import ConflictingDefinitionError

from ..errors import (
    ChainChangedError,
    CollectionCycleError,
    CollectionHasParentsError,
    CollectionNotFoundError,
    CollectionTypeMismatchError,
    InvalidArgumentError,
)
from ..factory import ButlerFactory
from .mutations import (
    CollectionChange,
    CollectionSnapshot,
    MutationResult,
    RetrySettings,
    checkpoint,
    run_mutation,
)

__all__ = [
    "ChainMode",
    "assemble_chained_inputs",
    "assemble_tagged_inputs",
    "chain_collections",
    "disassociate",
    "ensure_collection",
    "remove_collection",
    "validate_collection_name",
]

# daf_butler's collection name column is VARCHAR(64); the character set keeps names usable in
# collection expressions (no glob or regex characters, no whitespace or quotes).
_NAME_RE = re.compile(r"[A-Za-z0-9_.+\-/:@]{1,64}")


class ChainMode(enum.Enum):
    """The edit applied to a CHAINED collection."""

    REDEFINE = "REDEFINE"
    PREPEND = "PREPEND"
    EXTEND = "EXTEND"
    REMOVE = "REMOVE"


# -- validation and small helpers -----------------------------------------------------------------


def validate_collection_name(name: str, what: str = "collection name") -> str:
    """Return ``name`` if valid, else raise `InvalidArgumentError` (INVALID_COLLECTION_NAME)."""
    if not _NAME_RE.fullmatch(name or ""):
        shown = repr(name[:80]) if name else "empty"
        raise InvalidArgumentError(
            f"invalid {what} {shown}: use 1-64 characters from letters, digits and _ . + - / : @",
            reason="INVALID_COLLECTION_NAME",
        )
    return name


def _validate_names(names: Iterable[str], what: str) -> tuple[str, ...]:
    result = tuple(validate_collection_name(n, what) for n in names)
    repeated = sorted({n for n in result if result.count(n) > 1})
    if repeated:
        raise InvalidArgumentError(f"{what}s repeated: {', '.join(repeated)}", reason="INVALID_ARGUMENT")
    return result


def _snapshot(butler: Butler, name: str) -> CollectionSnapshot | None:
    try:
        info = butler.collections.get_info(name)
    except MissingCollectionError:
        return None
    return CollectionSnapshot(name, info.type, info.doc or "", tuple(info.children))


def _require(butler: Butler, names: Sequence[str], what: str = "collection") -> dict[str, CollectionSnapshot]:
    found: dict[str, CollectionSnapshot] = {}
    missing = []
    for name in names:
        snapshot = _snapshot(butler, name)
        if snapshot is None:
            missing.append(name)
        else:
            found[name] = snapshot
    if missing:
        raise CollectionNotFoundError(
            f"{what}{'s' if len(missing) > 1 else ''} not found: {', '.join(missing)}",
            collections=",".join(missing),
        )
    return found


def _mismatch(snapshot: CollectionSnapshot, wanted: CollectionType) -> CollectionTypeMismatchError:
    return CollectionTypeMismatchError(
        f"collection {snapshot.name!r} exists with type {snapshot.kind.name}, not {wanted.name}",
        collection=snapshot.name,
        existing_type=snapshot.kind.name,
    )


def _ensure(
    butler: Butler, name: str, kind: CollectionType, doc: str
) -> tuple[CollectionSnapshot | None, CollectionSnapshot]:
    """Create ``name`` if missing; return (before, after). Raises on a type mismatch.

    ``collections.register`` ignores the type of an existing collection, so it is checked here,
    also after registering (a concurrent caller may have created it meanwhile).
    """
    before = _snapshot(butler, name)
    if before is None:
        try:
            created = butler.collections.register(name, kind, doc=doc or None)
        except ConflictingDefinitionError:
            # A concurrent creation with another type lost the race against ours.
            after = _snapshot(butler, name)
            if after is not None:
                raise _mismatch(after, kind) from None
            raise
        after = _snapshot(butler, name)
        assert after is not None
        if not created:
            # A concurrent caller created it between our look-up and our insert.
            before = after
    else:
        after = before
    if after.kind is not kind:
        raise _mismatch(after, kind)
    return before, after


def _lock_chain(butler: Butler, name: str, *, exclusive: bool) -> None:
    # daf_butler's own chain lock (SELECT ... FOR UPDATE / FOR SHARE on PostgreSQL), taken before
    # reading so that a compare-and-set and the cycle check see the latest committed chain.
    manager = butler._registry._managers.collections  # type: ignore[attr-defined]
    manager._find_and_lock_collection_chain(name, exclusive_lock=exclusive)


def _current_children(butler: Butler, name: str) -> tuple[str, ...]:
    return tuple(butler.registry.getCollectionChain(name))


def _check_no_cycle(butler: Butler, parent: str, children: Sequence[str]) -> None:
    """Raise `CollectionCycleError` if any child is, or reaches, ``parent``; locks what it reads."""
    paths: dict[str, tuple[str, ...]] = {}
    queue: list[tuple[str, tuple[str, ...]]] = [(child, (parent, child)) for child in children]
    while queue:
        name, path = queue.pop(0)
        if name == parent:
            raise CollectionCycleError(
                f"chaining into {parent!r} would form a cycle: {' -> '.join(path)}",
                collection=parent,
            )
        if name in paths:
            continue
        paths[name] = path
        snapshot = _snapshot(butler, name)
        if snapshot is None or snapshot.kind is not CollectionType.CHAINED:
            continue
        _lock_chain(butler, name, exclusive=False)
        queue.extend((grandchild, (*path, grandchild)) for grandchild in _current_children(butler, name))


def _flatten(butler: Butler, names: Sequence[str]) -> tuple[str, ...]:
    """Replace CHAINED collections by their non-chained descendants, first occurrence kept."""
    result: list[str] = []

    def visit(name: str, depth: int) -> None:
        snapshot = _snapshot(butler, name)
        if snapshot is not None and snapshot.kind is CollectionType.CHAINED and depth < 100:
            for child in snapshot.children:
                visit(child, depth + 1)
        elif name not in result:
            result.append(name)

    for name in names:
        visit(name, 0)
    return tuple(result)


# -- chain edits ----------------------------------------------------------------------------------


def _edit_chain(
    butler: Butler,
    result: MutationResult,
    parent: str,
    mode: ChainMode,
    children: tuple[str, ...],
    *,
    create: bool,
    expected: tuple[str, ...] | None,
    flatten: bool,
    doc: str,
) -> None:
    if mode is ChainMode.REMOVE:
        children = tuple(c for c in children if _snapshot(butler, c) is not None)
    else:
        _require(butler, children, "child collection")
        if flatten:
            children = _flatten(butler, children)
    existing = _snapshot(butler, parent)
    if existing is None and (not create or mode is ChainMode.REMOVE):
        why = "there is nothing to remove" if mode is ChainMode.REMOVE else "do_not_create_parent is set"
        raise CollectionNotFoundError(
            f"CHAINED collection {parent!r} does not exist and {why}", collections=parent
        )
    if existing is not None and existing.kind is not CollectionType.CHAINED:
        raise _mismatch(existing, CollectionType.CHAINED)
    if expected is not None and existing is None and expected:
        raise ChainChangedError(
            f"chain {parent!r} does not exist; expected children {list(expected)}", collection=parent
        )
    before, _ = _ensure(butler, parent, CollectionType.CHAINED, doc)
    if before is None:
        result.created.append(parent)
    checkpoint("chain:created")
    _lock_chain(butler, parent, exclusive=True)
    current = _current_children(butler, parent)
    if before is not None:
        before = CollectionSnapshot(parent, before.kind, before.doc, current)
    if expected is not None and current != expected:
        raise ChainChangedError(
            f"chain {parent!r} has children {list(current)}, not the expected {list(expected)}; "
            "re-read it and retry",
            collection=parent,
        )
    if mode is not ChainMode.REMOVE:
        _check_no_cycle(butler, parent, children)
    if mode is ChainMode.REDEFINE:
        butler.collections.redefine_chain(parent, list(children))
    elif children:
        edit = {
            ChainMode.PREPEND: butler.collections.prepend_chain,
            ChainMode.EXTEND: butler.collections.extend_chain,
            ChainMode.REMOVE: butler.collections.remove_from_chain,
        }[mode]
        edit(parent, list(children))
    checkpoint("chain:edited")
    after = _snapshot(butler, parent)
    assert after is not None
    result.children = after.children
    result.snapshot = after
    if before != after:
        result.changes.append(CollectionChange(parent, before, after))


def chain_collections(
    factory: ButlerFactory,
    label: str,
    parent: str,
    mode: ChainMode,
    children: Sequence[str],
    *,
    create_parent: bool = True,
    expected_children: Sequence[str] | None = None,
    flatten: bool = False,
    doc: str = "",
    dry_run: bool = False,
    retry: RetrySettings | None = None,
) -> MutationResult:
    """Edit a CHAINED collection (creating it unless ``create_parent`` is false).

    Raises
    ------
    CollectionNotFoundError
        A child is missing (all missing ones named), or the parent with ``create_parent`` false.
    CollectionTypeMismatchError
        The parent exists and is not CHAINED.
    ChainChangedError
        ``expected_children`` is given and differs from the chain found.
    CollectionCycleError
        The edit would make the parent contain itself.
    ConcurrentModificationError
        PostgreSQL kept aborting the transaction; nothing was applied.
    """
    validate_collection_name(parent, "parent collection name")
    names = _validate_names(children, "child collection name")
    expected = None if expected_children is None else _validate_names(expected_children, "expected child")
    if mode is not ChainMode.REDEFINE and not names:
        raise InvalidArgumentError(f"{mode.value} needs at least one child collection")

    def body(butler: Butler, result: MutationResult, _after: list[Callable[[], None]]) -> None:
        _edit_chain(
            butler,
            result,
            parent,
            mode,
            names,
            create=create_parent,
            expected=expected,
            flatten=flatten,
            doc=doc,
        )

    return run_mutation(factory, label, MutationResult("ChainCollections", parent, dry_run), body, retry)


# -- ensure / assemble ----------------------------------------------------------------------------


def ensure_collection(
    factory: ButlerFactory,
    label: str,
    name: str,
    kind: CollectionType,
    doc: str = "",
    *,
    dry_run: bool = False,
) -> MutationResult:
    """Create a collection of the given type if missing; replace its doc if a different one is given.

    Raises
    ------
    CollectionTypeMismatchError
        The collection exists with another type (``collections.register`` would say nothing).
    """
    validate_collection_name(name)

    def body(butler: Butler, result: MutationResult, _after: list[Callable[[], None]]) -> None:
        before, after = _ensure(butler, name, kind, doc)
        checkpoint("ensure:created")
        if before is None:
            result.created.append(name)
        elif doc and doc != before.doc:
            butler.registry.setCollectionDocumentation(name, doc)
            result.doc_updated = True
            after = CollectionSnapshot(name, after.kind, doc, after.children)
        result.snapshot = after
        if before != after:
            result.changes.append(CollectionChange(name, before, after))

    return run_mutation(factory, label, MutationResult("EnsureCollection", name, dry_run), body)


def assemble_chained_inputs(
    factory: ButlerFactory,
    label: str,
    name: str,
    inputs: Sequence[str],
    *,
    flatten: bool = False,
    doc: str = "",
    dry_run: bool = False,
) -> MutationResult:
    """Make ``name`` a CHAINED collection whose children are exactly ``inputs`` (flattened if asked)."""
    validate_collection_name(name)
    names = _validate_names(inputs, "input collection name")
    if not names:
        raise InvalidArgumentError("a chained assembly needs at least one input collection")

    def body(butler: Butler, result: MutationResult, _after: list[Callable[[], None]]) -> None:
        _edit_chain(
            butler,
            result,
            name,
            ChainMode.REDEFINE,
            names,
            create=True,
            expected=None,
            flatten=flatten,
            doc=doc,
        )

    return run_mutation(factory, label, MutationResult("AssembleInputs", name, dry_run), body)


def _select(
    butler: Butler,
    dataset_types: Sequence[str],
    collections: Sequence[str],
    *,
    where: str,
    bind: Mapping[str, Any] | None,
    find_first: bool,
) -> dict[Any, DatasetRef]:
    selected: dict[Any, DatasetRef] = {}
    for dataset_type in dataset_types:
        refs = butler.query_datasets(
            dataset_type,
            list(collections),
            find_first=find_first,
            where=where,
            bind=dict(bind or {}),
            limit=None,
            explain=False,
        )
        selected.update((ref.id, ref) for ref in refs)
    return selected


def assemble_tagged_inputs(
    factory: ButlerFactory,
    label: str,
    name: str,
    dataset_types: Sequence[str],
    collections: Sequence[str],
    *,
    where: str = "",
    bind: Mapping[str, Any] | None = None,
    doc: str = "",
    dry_run: bool = False,
) -> MutationResult:
    """Make ``name`` a TAGGED collection holding, for ``dataset_types``, exactly what a find-first
    query of ``collections`` with ``where`` selects (others of those types are removed from it).
    """
    validate_collection_name(name)
    sources = _validate_names(collections, "source collection name")
    if not dataset_types or not sources:
        raise InvalidArgumentError("a tagged assembly needs dataset types and source collections")
    types = tuple(dict.fromkeys(dataset_types))

    def body(butler: Butler, result: MutationResult, _after: list[Callable[[], None]]) -> None:
        _require(butler, sources, "source collection")
        selected = _select(butler, types, sources, where=where, bind=bind, find_first=True)
        before, _ = _ensure(butler, name, CollectionType.TAGGED, doc)
        if before is None:
            result.created.append(name)
        checkpoint("assemble:created")
        held = _select(butler, types, [name], where="", bind=None, find_first=False)
        to_remove = [ref for key, ref in held.items() if key not in selected]
        to_add = [ref for key, ref in selected.items() if key not in held]
        # Removing first frees (type, data ID) slots that a newly selected dataset may take.
        if to_remove:
            butler.registry.disassociate(name, to_remove)
        checkpoint("assemble:disassociated")
        if to_add:
            butler.registry.associate(name, to_add)
        after = _snapshot(butler, name)
        assert after is not None
        result.snapshot = after
        result.datasets = len(selected)
        if before is None or to_add or to_remove:
            result.changes.append(CollectionChange(name, before, after, len(to_add), len(to_remove)))

    return run_mutation(factory, label, MutationResult("AssembleInputs", name, dry_run), body)


def _empty_trash(datastore: Any, refs: list[DatasetRef]) -> None:
    datastore.emptyTrash(refs=refs)


# -- removal --------------------------------------------------------------------------------------


def remove_collection(
    factory: ButlerFactory,
    label: str,
    name: str,
    *,
    remove_run: bool = False,
    unlink_from_parents: bool = False,
    missing_ok: bool = False,
    dry_run: bool = False,
) -> MutationResult:
    """Remove a collection; a RUN (with its datasets) only when ``remove_run`` is true.

    Raises
    ------
    CollectionNotFoundError
        Missing and not ``missing_ok``.
    CollectionTypeMismatchError
        A RUN without ``remove_run`` (reason RUN_REMOVAL_NOT_CONFIRMED).
    CollectionHasParentsError
        Still a child of CHAINED collections and not ``unlink_from_parents``.
    """
    validate_collection_name(name)

    def body(butler: Butler, result: MutationResult, after_commit: list[Callable[[], None]]) -> None:
        before = _snapshot(butler, name)
        if before is None:
            if missing_ok:
                return
            raise CollectionNotFoundError(f"collection not found: {name}", collections=name)
        if before.kind is CollectionType.RUN and not remove_run:
            raise CollectionTypeMismatchError(
                f"{name!r} is a RUN collection: removing it deletes its datasets; "
                "set remove_run_and_datasets to confirm",
                reason="RUN_REMOVAL_NOT_CONFIRMED",
                collection=name,
            )
        parents = sorted(butler.registry.getCollectionParentChains(name))
        if parents and not unlink_from_parents:
            raise CollectionHasParentsError(
                f"{name!r} is still a child of {', '.join(parents)}; "
                "set unlink_from_parents or edit those chains first",
                collection=name,
                parents=",".join(parents),
            )
        for parent in parents:
            _lock_chain(butler, parent, exclusive=True)
            parent_before = _snapshot(butler, parent)
            butler.collections.remove_from_chain(parent, [name])
            parent_after = _snapshot(butler, parent)
            result.changes.append(CollectionChange(parent, parent_before, parent_after))
            result.unlinked_from.append(parent)
        checkpoint("remove:unlinked")
        refs: list[DatasetRef] = []
        if before.kind in (CollectionType.RUN, CollectionType.TAGGED, CollectionType.CALIBRATION):
            refs = butler.query_all_datasets(name, find_first=False, limit=None)
        if before.kind is CollectionType.RUN and refs:
            # Registry rows go with the transaction; files only after the commit (not undoable).
            datastore = butler._datastore
            datastore.trash(refs)
            butler.registry.removeDatasets(refs)
            after_commit.append(lambda: _empty_trash(datastore, refs))
        butler.registry.removeCollection(name)
        checkpoint("remove:removed")
        result.removed = True
        result.datasets = len(refs)
        result.changes.insert(0, CollectionChange(name, before, None, datasets_removed=len(refs)))

    return run_mutation(factory, label, MutationResult("RemoveCollection", name, dry_run), body)


def disassociate(
    factory: ButlerFactory,
    label: str,
    name: str,
    dataset_types: Sequence[str],
    *,
    where: str = "",
    bind: Mapping[str, Any] | None = None,
    dry_run: bool = False,
) -> MutationResult:
    """Remove the datasets a query selects (among those it holds) from a TAGGED collection."""
    validate_collection_name(name)
    if not dataset_types:
        raise InvalidArgumentError("at least one dataset type is required")
    types = tuple(dict.fromkeys(dataset_types))

    def body(butler: Butler, result: MutationResult, _after: list[Callable[[], None]]) -> None:
        before = _require(butler, [name])[name]
        if before.kind is not CollectionType.TAGGED:
            raise _mismatch(before, CollectionType.TAGGED)
        refs = list(_select(butler, types, [name], where=where, bind=bind, find_first=False).values())
        if refs:
            butler.registry.disassociate(name, refs)
        checkpoint("disassociate:done")
        result.datasets = len(refs)
        result.snapshot = before
        if refs:
            result.changes.append(CollectionChange(name, before, before, datasets_removed=len(refs)))

    return run_mutation(factory, label, MutationResult("Disassociate", name, dry_run), body)
