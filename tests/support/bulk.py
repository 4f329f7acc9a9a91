"""A demo repository grown to many registry-only raws, for streaming tests and the benchmark."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lsst.daf.butler import Butler

from lsst.cmservice.butler.gateway import demo

__all__ = ["BULK_DAY_OBS", "BULK_RUN", "build_bulk_repository"]

BULK_RUN = "LSSTCam/raw/bulk"
"""RUN holding the bulk raws (besides the demo content, which stays intact)."""

BULK_DAY_OBS = 20250922
"""Observing day of the bulk exposures (sequence numbers from 1000 on)."""


def build_bulk_repository(root: Path, *, exposures: int, detectors: int) -> str:
    """Build a SQLite demo repository plus ``exposures * detectors`` LSSTCam raws in `BULK_RUN`.

    Returns the repository's config URI. The extra detectors are numbered from 100, the extra
    exposures are science exposures of `BULK_DAY_OBS` cycling through the LSSTCam filters.
    """
    uri = demo.create_repository(root)
    template = next(e for e in demo.DEMO.exposures if e.instrument == "LSSTCam" and e.is_science)
    filters = demo.DEMO.physical_filter_names("LSSTCam")
    with Butler.from_config(uri, writeable=True) as butler:
        demo.populate(butler)
        registry = butler.registry
        new_exposures = []
        for n in range(exposures):
            seq = 1000 + n
            new_exposures.append(
                dataclasses.replace(
                    template,
                    id=BULK_DAY_OBS * 100_000 + seq,
                    obs_id=f"MC_O_{BULK_DAY_OBS}_{seq:06d}",
                    day_obs=BULK_DAY_OBS,
                    seq_num=seq,
                    group=f"bulk-{seq:06d}",
                    physical_filter=filters[n % len(filters)],
                )
            )
        detector_ids = list(range(100, 100 + detectors))
        with butler.transaction():
            registry.insertDimensionData(
                "detector",
                *(
                    {"instrument": "LSSTCam", "id": d, "full_name": f"R99_S{d}", "raft": "R99"}
                    for d in detector_ids
                ),
            )
            registry.insertDimensionData(
                "group", *({"instrument": "LSSTCam", "name": e.group} for e in new_exposures)
            )
            registry.insertDimensionData("exposure", *(demo._exposure_record(e) for e in new_exposures))
            butler.collections.register(BULK_RUN, doc="Bulk raws for streaming tests.")
            registry.insertDatasets(
                "raw",
                [
                    {"instrument": "LSSTCam", "detector": d, "exposure": e.id}
                    for e in new_exposures
                    for d in detector_ids
                ],
                run=BULK_RUN,
            )
    return uri
