"""Collection mutation RPCs: ensure, assemble inputs, chain, remove, disassociate."""

from __future__ import annotations

from typing import Any

from lsst.cmservice.butler.v1 import collections_pb2 as pb
from lsst.cmservice.butler.v1 import common_pb2

from ..domain import collections as domain
from ..domain.audit import record_mutation
from ..domain.mutations import CollectionSnapshot, MutationResult
from ..errors import InvalidArgumentError
from ._rpc import GatewayContext, caller_of, unary_rpc
from .base import ServicerBase
from .convert import COLLECTION_TYPE_FROM_PROTO, COLLECTION_TYPE_TO_PROTO, bind_to_python

__all__ = ["CollectionRpcs"]

_MODES = {
    pb.CHAIN_MODE_REDEFINE: domain.ChainMode.REDEFINE,
    pb.CHAIN_MODE_PREPEND: domain.ChainMode.PREPEND,
    pb.CHAIN_MODE_EXTEND: domain.ChainMode.EXTEND,
    pb.CHAIN_MODE_REMOVE: domain.ChainMode.REMOVE,
}


def _snapshot(snapshot: CollectionSnapshot | None) -> pb.CollectionSnapshot | None:
    if snapshot is None:
        return None
    return pb.CollectionSnapshot(
        name=snapshot.name,
        type=COLLECTION_TYPE_TO_PROTO.get(snapshot.kind, common_pb2.COLLECTION_TYPE_UNSPECIFIED),
        doc=snapshot.doc,
        children=list(snapshot.children),
    )


def _changes(result: MutationResult) -> list[pb.CollectionChange]:
    return [
        pb.CollectionChange(
            name=change.name,
            before=_snapshot(change.before),
            after=_snapshot(change.after),
            datasets_added=change.datasets_added,
            datasets_removed=change.datasets_removed,
        )
        for change in result.changes
    ]


class CollectionRpcs(ServicerBase):
    """Collection mutations through writeable clones, each in one transaction, with dry runs."""

    async def _mutate(self, context: GatewayContext, label: str, call: Any, *args: Any) -> MutationResult:
        result: MutationResult = await self.runner.run(call, self.factory, label, *args)
        record_mutation(result, caller=caller_of(context), repository=label)
        return result

    @unary_rpc
    async def EnsureCollection(
        self, request: pb.EnsureCollectionRequest, context: GatewayContext
    ) -> pb.EnsureCollectionResponse:
        kind = COLLECTION_TYPE_FROM_PROTO.get(request.type)
        if kind is None:
            raise InvalidArgumentError("type is required: RUN, TAGGED, CHAINED or CALIBRATION")

        def call(factory: Any, label: str) -> MutationResult:
            return domain.ensure_collection(
                factory, label, request.name, kind, request.doc, dry_run=request.dry_run
            )

        result = await self._mutate(context, request.label, call)
        return pb.EnsureCollectionResponse(
            created=bool(result.created),
            doc_updated=result.doc_updated,
            collection=_snapshot(result.snapshot),
            changes=_changes(result),
            dry_run=result.dry_run,
        )

    @unary_rpc
    async def AssembleInputs(
        self, request: pb.AssembleInputsRequest, context: GatewayContext
    ) -> pb.AssembleInputsResponse:
        which = request.WhichOneof("assembly")

        def call(factory: Any, label: str) -> MutationResult:
            if which == "chained":
                return domain.assemble_chained_inputs(
                    factory,
                    label,
                    request.name,
                    list(request.chained.inputs),
                    flatten=request.chained.flatten,
                    doc=request.doc,
                    dry_run=request.dry_run,
                )
            tagged = request.tagged
            return domain.assemble_tagged_inputs(
                factory,
                label,
                request.name,
                list(tagged.dataset_types),
                list(tagged.collections),
                where=tagged.where,
                bind=bind_to_python(tagged.bind),
                doc=request.doc,
                dry_run=request.dry_run,
            )

        if which is None:
            raise InvalidArgumentError("set either `chained` or `tagged` to say how to assemble the input")
        result = await self._mutate(context, request.label, call)
        return pb.AssembleInputsResponse(
            created=result.created,
            children=list(result.children),
            datasets_tagged=result.datasets,
            changes=_changes(result),
            dry_run=result.dry_run,
        )

    @unary_rpc
    async def ChainCollections(
        self, request: pb.ChainCollectionsRequest, context: GatewayContext
    ) -> pb.ChainCollectionsResponse:
        mode = _MODES.get(request.mode)
        if mode is None:
            raise InvalidArgumentError("mode is required: REDEFINE, PREPEND, EXTEND or REMOVE")
        expected = list(request.expected_children.children) if request.HasField("expected_children") else None

        def call(factory: Any, label: str) -> MutationResult:
            return domain.chain_collections(
                factory,
                label,
                request.parent,
                mode,
                list(request.children),
                create_parent=not request.do_not_create_parent,
                expected_children=expected,
                flatten=request.flatten,
                doc=request.doc,
                dry_run=request.dry_run,
            )

        result = await self._mutate(context, request.label, call)
        return pb.ChainCollectionsResponse(
            children=list(result.children),
            created=bool(result.created),
            changes=_changes(result),
            dry_run=result.dry_run,
        )

    @unary_rpc
    async def RemoveCollection(
        self, request: pb.RemoveCollectionRequest, context: GatewayContext
    ) -> pb.RemoveCollectionResponse:
        def call(factory: Any, label: str) -> MutationResult:
            return domain.remove_collection(
                factory,
                label,
                request.name,
                remove_run=request.remove_run_and_datasets,
                unlink_from_parents=request.unlink_from_parents,
                missing_ok=request.missing_ok,
                dry_run=request.dry_run,
            )

        result = await self._mutate(context, request.label, call)
        return pb.RemoveCollectionResponse(
            removed=result.removed,
            unlinked_from=result.unlinked_from,
            datasets_removed=result.datasets,
            changes=_changes(result),
            dry_run=result.dry_run,
        )

    @unary_rpc
    async def Disassociate(
        self, request: pb.DisassociateRequest, context: GatewayContext
    ) -> pb.DisassociateResponse:
        def call(factory: Any, label: str) -> MutationResult:
            return domain.disassociate(
                factory,
                label,
                request.name,
                list(request.dataset_types),
                where=request.where,
                bind=bind_to_python(request.bind),
                dry_run=request.dry_run,
            )

        result = await self._mutate(context, request.label, call)
        return pb.DisassociateResponse(
            datasets_removed=result.datasets, changes=_changes(result), dry_run=result.dry_run
        )
