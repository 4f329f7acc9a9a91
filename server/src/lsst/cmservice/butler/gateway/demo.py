"""The gateway's embedded demo repository: small, realistic Butler content built in a few seconds."""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import lsst.sphgeom as sphgeom
from astropy.time import Time, TimeDelta  # type: ignore[import-untyped]
from lsst.daf.butler import (
    Butler,
    CollectionType,
    Config,
    DatasetIdGenEnum,
    DatasetRef,
    DatasetType,
    Timespan,
)
from lsst.resources import ResourcePath
from sqlalchemy.engine import make_url

__all__ = [
    "DEMO",
    "DEMO_LABEL",
    "DEMO_MARKER_NAME",
    "DEMO_REPO_DIRNAME",
    "DataIdTuple",
    "DemoContent",
    "DemoDatasetType",
    "DemoDetector",
    "DemoExposure",
    "DemoInstrument",
    "DemoPhysicalFilter",
    "DemoPointing",
    "build_demo_repository",
    "create_repository",
    "populate",
]

DEMO_LABEL = "demo"
"""Repository label under which the gateway serves the demo repository."""

DEMO_REPO_DIRNAME = "demo-repo"
"""Name of the demo repository directory inside the gateway's data directory."""

DEMO_MARKER_NAME = ".demo-complete"
"""File written last into a finished demo repository; holds the content version."""

DataIdTuple = tuple[str | int, ...]
"""Data ID values in the order of a dataset type's ``dimensions``."""


@dataclass(frozen=True)
class DemoInstrument:
    """An ``instrument`` dimension record of the demo repository.

    Parameters
    ----------
    name : `str`
        Instrument name.
    class_name : `str`
        Fully qualified name of the (not installed) ``Instrument`` class.
    obs_id_prefix : `str`
        Two-letter camera code that starts every ``obs_id``.
    detector_max : `int`
        Exclusive upper bound of detector IDs.
    exposure_max : `int`
        Exclusive upper bound of exposure IDs.
    visit_max : `int`
        Exclusive upper bound of visit IDs.
    visit_system : `int`
        Preferred visit system.
    """

    name: str
    class_name: str
    obs_id_prefix: str
    detector_max: int
    exposure_max: int = 6050123199999
    visit_max: int = 6050123199999
    visit_system: int = 2


@dataclass(frozen=True)
class DemoDetector:
    """A ``detector`` dimension record of the demo repository.

    Parameters
    ----------
    instrument : `str`
        Instrument name.
    id : `int`
        Detector ID.
    full_name : `str`
        ``{raft}_{name_in_raft}``, e.g. ``R01_S00``.
    purpose : `str`
        Detector role.
    """

    instrument: str
    id: int
    full_name: str
    purpose: str = "SCIENCE"

    @property
    def raft(self) -> str:
        """Raft part of ``full_name``."""
        return self.full_name.split("_")[0]

    @property
    def name_in_raft(self) -> str:
        """Sensor part of ``full_name``."""
        return self.full_name.split("_")[1]


@dataclass(frozen=True)
class DemoPhysicalFilter:
    """A ``physical_filter`` dimension record (and its implied band).

    Parameters
    ----------
    instrument : `str`
        Instrument name.
    name : `str`
        Physical filter name.
    band : `str`
        Abstract band.
    """

    instrument: str
    name: str
    band: str


@dataclass(frozen=True)
class DemoPointing:
    """Where the telescope pointed during an on-sky exposure (all angles in degrees).

    Parameters
    ----------
    ra : `float`
        Tracking ICRS right ascension of the boresight.
    dec : `float`
        Tracking ICRS declination of the boresight.
    azimuth : `float`
        Telescope azimuth at the start of the exposure.
    zenith_angle : `float`
        Zenith angle at the start of the exposure.
    sky_angle : `float`
        Angle of the focal plane on the sky.
    """

    ra: float
    dec: float
    azimuth: float
    zenith_angle: float
    sky_angle: float


@dataclass(frozen=True)
class DemoExposure:
    """An ``exposure`` dimension record (one ``group`` each; a visit if science).

    Parameters
    ----------
    instrument : `str`
        Instrument name.
    id : `int`
        Exposure ID, ``day_obs * 100000 + seq_num`` as for Rubin cameras.
    obs_id : `str`
        Observation ID, e.g. ``MC_O_20250921_000002``.
    day_obs : `int`
        Observing day, ``YYYYMMDD``.
    seq_num : `int`
        Sequence number within ``day_obs``.
    group : `str`
        Group name (an ISO timestamp, as the observatory assigns them).
    physical_filter : `str`
        Physical filter in the beam.
    observation_type : `str`
        ``"science"`` or ``"bias"``.
    observation_reason : `str`
        Why the observation was taken.
    target_name : `str`
        Field or object name.
    science_program : `str`
        Observing block.
    exposure_time : `float`
        Shutter-open time in seconds.
    dark_time : `float`
        Total integration time in seconds; the record's timespan covers it.
    begin : `str`
        Start of the exposure, ISO format, TAI.
    pointing : `DemoPointing` or `None`
        Telescope pointing; `None` for exposures that cannot see the sky.
    """

    instrument: str
    id: int
    obs_id: str
    day_obs: int
    seq_num: int
    group: str
    physical_filter: str
    observation_type: str
    observation_reason: str
    target_name: str
    science_program: str
    exposure_time: float
    dark_time: float
    begin: str
    pointing: DemoPointing | None

    @property
    def is_science(self) -> bool:
        """Whether this is an on-sky science exposure (and so defines a visit)."""
        return self.observation_type == "science"

    @property
    def timespan(self) -> Timespan:
        """Timespan of the exposure (``dark_time`` from ``begin``)."""
        start = Time(self.begin, format="isot", scale="tai")
        return Timespan(start, start + TimeDelta(self.dark_time, format="sec", scale="tai"))


@dataclass(frozen=True)
class DemoDatasetType:
    """A dataset type registered in the demo repository.

    Parameters
    ----------
    name : `str`
        Dataset type name.
    dimensions : `tuple` [`str`, ...]
        Dimension names, in the order used for `DataIdTuple` values.
    storage_class : `str`
        Storage class name (datasets are registry-only, so it is never imported).
    is_calibration : `bool`
        Whether datasets may be certified into CALIBRATION collections.
    """

    name: str
    dimensions: tuple[str, ...]
    storage_class: str
    is_calibration: bool = False


_LSSTCAM = DemoInstrument("LSSTCam", "lsst.obs.lsst.LsstCam", "MC", detector_max=1000)
_LATISS = DemoInstrument("LATISS", "lsst.obs.lsst.Latiss", "AT", detector_max=1)
# Readout adds to the shutter-open time; the real records' timespans cover dark_time.
_READOUT_SECONDS = {"LSSTCam": 0.93, "LATISS": 2.3}


def _exposure(
    instrument: DemoInstrument,
    day_obs: int,
    seq_num: int,
    physical_filter: str,
    begin: str,
    target_name: str,
    pointing: DemoPointing | None,
    *,
    observation_reason: str,
    science_program: str,
    observation_type: str = "science",
    exposure_time: float = 30.0,
) -> DemoExposure:
    # IDs, obs_id and group follow the conventions of real Rubin exposures.
    return DemoExposure(
        instrument=instrument.name,
        id=day_obs * 100_000 + seq_num,
        obs_id=f"{instrument.obs_id_prefix}_O_{day_obs}_{seq_num:06d}",
        day_obs=day_obs,
        seq_num=seq_num,
        group=begin[:23],
        physical_filter=physical_filter,
        observation_type=observation_type,
        observation_reason=observation_reason,
        target_name=target_name,
        science_program=science_program,
        exposure_time=exposure_time,
        dark_time=round(exposure_time + _READOUT_SECONDS[instrument.name], 3),
        begin=begin,
        pointing=pointing,
    )


# (ra, dec) of the demo fields: Rubin deep-drilling fields and a LATISS spectrophotometric standard.
_ECDFS = (53.125, -28.1)
_EDFS = (59.1004, -48.73)
_COSMOS = (150.11916667, 2.20583333)
_HD185975 = (302.9286, -87.4717)

# Science exposures: (instrument, day_obs, seq_num, physical_filter, begin (TAI), target,
# (ra, dec), azimuth, zenith_angle, sky_angle).
_ScienceRow = tuple[DemoInstrument, int, int, str, str, str, tuple[float, float], float, float, float]
_LATISS_G, _LATISS_R = "SDSSg_65mm~empty", "SDSSr_65mm~empty"
_SCIENCE: tuple[_ScienceRow, ...] = (
    (_LSSTCAM, 20250921, 2, "g_6", "2025-09-22T01:00:05.123", "ECDFS", _ECDFS, 121.4, 17.8, 92.1),
    (_LSSTCAM, 20250921, 3, "r_57", "2025-09-22T01:01:10.456", "ECDFS", _ECDFS, 121.9, 17.5, 92.4),
    (_LSSTCAM, 20250921, 4, "i_39", "2025-09-22T01:02:15.789", "EDFS_a", _EDFS, 165.2, 26.3, 181.7),
    (_LSSTCAM, 20250922, 2, "z_20", "2025-09-23T01:00:05.000", "EDFS_a", _EDFS, 164.8, 26.9, 180.2),
    (_LSSTCAM, 20250922, 3, "r_57", "2025-09-23T08:30:20.250", "COSMOS", _COSMOS, 12.6, 38.4, 300.3),
    (_LSSTCAM, 20250922, 4, "i_39", "2025-09-23T08:31:25.500", "COSMOS", _COSMOS, 12.9, 38.1, 300.9),
    (_LATISS, 20250921, 1, _LATISS_G, "2025-09-22T02:10:00.000", "HD 185975", _HD185975, 180.3, 57.5, 45.0),
    (_LATISS, 20250921, 2, _LATISS_R, "2025-09-22T02:10:45.000", "HD 185975", _HD185975, 180.3, 57.5, 45.0),
    (_LATISS, 20250922, 1, _LATISS_G, "2025-09-23T02:10:00.000", "HD 185975", _HD185975, 180.4, 57.5, 45.0),
    (_LATISS, 20250922, 2, _LATISS_R, "2025-09-23T02:10:45.000", "HD 185975", _HD185975, 180.4, 57.5, 45.0),
)  # fmt: skip

# LSSTCam takes an afternoon bias (seq_num 1) before each night: (day_obs, physical_filter, begin).
_LSSTCAM_BIASES = (
    (20250921, "r_57", "2025-09-21T20:15:00.000"),
    (20250922, "z_20", "2025-09-22T20:15:00.000"),
)


def _default_exposures() -> tuple[DemoExposure, ...]:
    biases = [
        _exposure(
            _LSSTCAM,
            day_obs,
            1,
            physical_filter,
            begin,
            "bias",
            None,
            observation_reason="bias",
            science_program="BLOCK-T246",
            observation_type="bias",
            exposure_time=0.0,
        )
        for day_obs, physical_filter, begin in _LSSTCAM_BIASES
    ]
    science = []
    for row in _SCIENCE:
        instrument, day_obs, seq_num, physical_filter, begin, target, radec, az, zenith, sky = row
        is_lsstcam = instrument is _LSSTCAM
        science.append(
            _exposure(
                instrument,
                day_obs,
                seq_num,
                physical_filter,
                begin,
                target,
                DemoPointing(radec[0], radec[1], az, zenith, sky),
                # LSSTCam survey blocks name the reason after the band; LATISS just says "science".
                observation_reason=f"singles_{physical_filter[0]}" if is_lsstcam else "science",
                science_program="BLOCK-407" if is_lsstcam else "BLOCK-306",
            )
        )
    return tuple(sorted(biases + science, key=lambda e: (e.instrument != "LSSTCam", e.id)))


_RAW = DemoDatasetType("raw", ("instrument", "detector", "exposure"), "Exposure")
_CALEXP = DemoDatasetType("calexp", ("instrument", "visit", "detector"), "ExposureF")
_BIAS = DemoDatasetType("bias", ("instrument", "detector"), "ExposureF", is_calibration=True)


@dataclass(frozen=True)
class DemoContent:
    """Everything the demo repository contains, for building it and asserting against it.

    Datasets are registry-only (no files): queries work, ``get`` does not.
    All data ID tuples list values in the order of the dataset type's ``dimensions``.
    """

    version: int = 1
    """Content version written to the completion marker; bump on any change below."""

    instruments: tuple[DemoInstrument, ...] = (_LSSTCAM, _LATISS)
    detectors: tuple[DemoDetector, ...] = (
        # Real LSSTCam IDs and names for detectors 0-3 (raft R01).
        DemoDetector("LSSTCam", 0, "R01_S00"),
        DemoDetector("LSSTCam", 1, "R01_S01"),
        DemoDetector("LSSTCam", 2, "R01_S02"),
        DemoDetector("LSSTCam", 3, "R01_S10"),
        DemoDetector("LATISS", 0, "RXX_S00"),
    )
    physical_filters: tuple[DemoPhysicalFilter, ...] = (
        DemoPhysicalFilter("LSSTCam", "g_6", "g"),
        DemoPhysicalFilter("LSSTCam", "r_57", "r"),
        DemoPhysicalFilter("LSSTCam", "i_39", "i"),
        DemoPhysicalFilter("LSSTCam", "z_20", "z"),
        DemoPhysicalFilter("LATISS", "SDSSg_65mm~empty", "g"),
        DemoPhysicalFilter("LATISS", "SDSSr_65mm~empty", "r"),
    )
    day_obs: tuple[int, ...] = (20250921, 20250922)
    """Observing days, defined for every instrument."""

    visit_systems: Mapping[int, str] = field(
        default_factory=lambda: MappingProxyType({0: "one-to-one", 2: "by-seq-start-end"})
    )
    """Visit systems of every instrument; each visit belongs to all of them."""

    exposures: tuple[DemoExposure, ...] = field(default_factory=_default_exposures)

    raw: DemoDatasetType = _RAW
    calexp: DemoDatasetType = _CALEXP
    bias: DemoDatasetType = _BIAS

    raw_runs: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({"LSSTCam": "LSSTCam/raw/all", "LATISS": "LATISS/raw/all"})
    )
    """RUN collection holding every raw of each instrument."""

    primary_instrument: str = "LSSTCam"
    """Instrument of the tagged raws, the calexps and the biases."""

    tagged_raw: str = "LSSTCam/raw/tagged-night1"
    """TAGGED collection of the LSSTCam raws of ``tagged_day_obs``."""
    tagged_day_obs: int = 20250921

    calexp_run: str = "LSSTCam/runs/nightly/20250921"
    """RUN of calexps for the LSSTCam science visits of ``calexp_day_obs``."""
    calexp_day_obs: int = 20250921

    bias_run: str = "LSSTCam/calib/bias/20250920"
    """RUN holding one LSSTCam bias per detector."""
    calibration: str = "LSSTCam/calib/certified"
    """CALIBRATION collection where the biases are certified from ``bias_valid_from`` on."""
    bias_valid_from: str = "2025-09-20T12:00:00.000"

    chains: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType(
            {
                "LSSTCam/calib": ("LSSTCam/calib/certified",),
                "LSSTCam/defaults": ("LSSTCam/raw/all", "LSSTCam/calib"),
                "LATISS/defaults": ("LATISS/raw/all",),
                # A CM Service campaign input: tagged raws plus ancillary calibrations.
                "demo/campaign/input": ("LSSTCam/raw/tagged-night1", "LSSTCam/calib"),
            }
        )
    )
    """CHAINED collections and their children in search order (children defined before parents)."""

    docs: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType(
            {
                "LSSTCam/raw/all": "All LSSTCam raw data of the demo repository.",
                "LATISS/raw/all": "All LATISS raw data of the demo repository.",
                "LSSTCam/runs/nightly/20250921": "Nightly processing of LSSTCam day_obs 20250921.",
                "LSSTCam/calib/bias/20250920": "LSSTCam biases built on 20250920.",
                "LSSTCam/calib/certified": "Certified LSSTCam calibrations.",
                "LSSTCam/raw/tagged-night1": "LSSTCam raws of day_obs 20250921.",
                "LSSTCam/calib": "Recommended LSSTCam calibrations.",
                "LSSTCam/defaults": "Default LSSTCam inputs: raws and calibrations.",
                "LATISS/defaults": "Default LATISS inputs.",
                "demo/campaign/input": "Input collection of the demo campaign.",
            }
        )
    )
    """Documentation string of every collection."""

    # -- derived views -------------------------------------------------------------------------

    @property
    def instrument_names(self) -> tuple[str, ...]:
        """Names of all instruments, in insertion order."""
        return tuple(i.name for i in self.instruments)

    @property
    def bands(self) -> tuple[str, ...]:
        """Distinct bands of all physical filters, sorted."""
        return tuple(sorted({f.band for f in self.physical_filters}))

    @property
    def dataset_types(self) -> tuple[DemoDatasetType, ...]:
        """All registered dataset types."""
        return (self.raw, self.calexp, self.bias)

    @property
    def visits(self) -> tuple[DemoExposure, ...]:
        """Science exposures; each defines the visit with the same ID."""
        return tuple(e for e in self.exposures if e.is_science)

    @property
    def collection_types(self) -> Mapping[str, CollectionType]:
        """Type of every collection, in creation order (children before chains)."""
        types: dict[str, CollectionType] = dict.fromkeys(
            (*self.raw_runs.values(), self.calexp_run, self.bias_run), CollectionType.RUN
        )
        types[self.calibration] = CollectionType.CALIBRATION
        types[self.tagged_raw] = CollectionType.TAGGED
        types.update(dict.fromkeys(self.chains, CollectionType.CHAINED))
        return MappingProxyType(types)

    def physical_filter_names(self, instrument: str) -> tuple[str, ...]:
        """Physical filters of one instrument.

        Parameters
        ----------
        instrument : `str`
            Instrument name.

        Returns
        -------
        names : `tuple` [`str`, ...]
            Physical filter names.
        """
        return tuple(f.name for f in self.physical_filters if f.instrument == instrument)

    def detector_ids(self, instrument: str) -> tuple[int, ...]:
        """Detector IDs of one instrument.

        Parameters
        ----------
        instrument : `str`
            Instrument name.

        Returns
        -------
        ids : `tuple` [`int`, ...]
            Detector IDs, ascending.
        """
        return tuple(sorted(d.id for d in self.detectors if d.instrument == instrument))

    def exposure_ids(
        self, instrument: str, *, day_obs: int | None = None, observation_type: str | None = None
    ) -> tuple[int, ...]:
        """Exposure IDs of one instrument, optionally restricted.

        Parameters
        ----------
        instrument : `str`
            Instrument name.
        day_obs : `int`, optional
            Only exposures of this observing day.
        observation_type : `str`, optional
            Only exposures of this type (``"science"``, ``"bias"``).

        Returns
        -------
        ids : `tuple` [`int`, ...]
            Exposure IDs, ascending.
        """
        return tuple(
            sorted(
                e.id
                for e in self.exposures
                if e.instrument == instrument
                and (day_obs is None or e.day_obs == day_obs)
                and (observation_type is None or e.observation_type == observation_type)
            )
        )

    def visit_ids(self, instrument: str, *, day_obs: int | None = None) -> tuple[int, ...]:
        """Visit IDs of one instrument (equal to their science exposure IDs).

        Parameters
        ----------
        instrument : `str`
            Instrument name.
        day_obs : `int`, optional
            Only visits of this observing day.

        Returns
        -------
        ids : `tuple` [`int`, ...]
            Visit IDs, ascending.
        """
        return self.exposure_ids(instrument, day_obs=day_obs, observation_type="science")

    def groups(self, instrument: str) -> tuple[str, ...]:
        """Group names of one instrument.

        Parameters
        ----------
        instrument : `str`
            Instrument name.

        Returns
        -------
        names : `tuple` [`str`, ...]
            Group names, sorted.
        """
        return tuple(sorted({e.group for e in self.exposures if e.instrument == instrument}))

    def stored_data_ids(self, dataset_type: str, collection: str) -> frozenset[DataIdTuple]:
        """Data IDs of the datasets directly held by a non-chained collection.

        Parameters
        ----------
        dataset_type : `str`
            Dataset type name.
        collection : `str`
            RUN, TAGGED or CALIBRATION collection name.

        Returns
        -------
        data_ids : `frozenset` [`DataIdTuple`]
            Data ID tuples; empty if the collection holds no such datasets.
        """
        result: set[DataIdTuple] = set()
        if dataset_type == self.raw.name:
            for instrument, run in self.raw_runs.items():
                if collection == run:
                    result.update(self._raw_data_ids(instrument, None))
            if collection == self.tagged_raw:
                result.update(self._raw_data_ids(self.primary_instrument, self.tagged_day_obs))
        elif dataset_type == self.calexp.name and collection == self.calexp_run:
            result.update(
                (self.primary_instrument, visit, detector)
                for visit in self.visit_ids(self.primary_instrument, day_obs=self.calexp_day_obs)
                for detector in self.detector_ids(self.primary_instrument)
            )
        elif dataset_type == self.bias.name and collection in (self.bias_run, self.calibration):
            result.update(
                (self.primary_instrument, detector) for detector in self.detector_ids(self.primary_instrument)
            )
        return frozenset(result)

    def expected_data_ids(self, dataset_type: str, collection: str) -> frozenset[DataIdTuple]:
        """Data IDs a find-first search of a collection (chains flattened) returns.

        Parameters
        ----------
        dataset_type : `str`
            Dataset type name.
        collection : `str`
            Any demo collection name.

        Returns
        -------
        data_ids : `frozenset` [`DataIdTuple`]
            Data ID tuples.
        """
        if collection in self.chains:
            # Children never hold different datasets with the same data ID, so a union is find-first.
            result: set[DataIdTuple] = set()
            for child in self.chains[collection]:
                result.update(self.expected_data_ids(dataset_type, child))
            return frozenset(result)
        return self.stored_data_ids(dataset_type, collection)

    def expected_dataset_count(self, dataset_type: str, collection: str) -> int:
        """Number of datasets a find-first search of a collection returns.

        Parameters
        ----------
        dataset_type : `str`
            Dataset type name.
        collection : `str`
            Any demo collection name.

        Returns
        -------
        count : `int`
            Number of datasets.
        """
        return len(self.expected_data_ids(dataset_type, collection))

    def expected_raw_count(self, collection: str) -> int:
        """Number of raws a find-first search of a collection returns.

        Parameters
        ----------
        collection : `str`
            Any demo collection name.

        Returns
        -------
        count : `int`
            Number of raw datasets.
        """
        return self.expected_dataset_count(self.raw.name, collection)

    def _raw_data_ids(self, instrument: str, day_obs: int | None) -> set[DataIdTuple]:
        return {
            (instrument, detector, exposure)
            for exposure in self.exposure_ids(instrument, day_obs=day_obs)
            for detector in self.detector_ids(instrument)
        }


DEMO = DemoContent()
"""The content of the demo repository."""


def create_repository(root: Path, *, registry_db: str | None = None, namespace: str | None = None) -> str:
    """Create an empty Butler repository.

    Parameters
    ----------
    root : `pathlib.Path`
        Repository root directory (datastore root, and the SQLite registry's home by default).
    registry_db : `str`, optional
        Registry database URL, e.g. ``postgresql://user@host:5432/db``. It must not contain a
        password (that would be written to ``butler.yaml``); ``LSST_DB_AUTH_CREDENTIALS`` or
        ``~/.lsst/db-auth.yaml`` supply it. Default: SQLite in ``root``.
    namespace : `str`, optional
        Database schema for the registry tables (PostgreSQL only).

    Returns
    -------
    uri : `str`
        URI of the repository's ``butler.yaml``.

    Raises
    ------
    ValueError
        Raised if ``registry_db`` contains a password, if ``namespace`` is given for an SQLite
        registry, or if the name of ``root`` contains a dot (``Butler.makeRepo`` would read the
        text after it as a config file format).
    """
    root_uri = ResourcePath(root.absolute(), forceDirectory=True)
    if root_uri.getExtension():
        raise ValueError(f"The repository directory name must not contain a dot: {root.name!r}.")
    url = make_url(registry_db) if registry_db is not None else None
    if url is not None and url.password is not None:
        # Never echo the URL: it holds the secret.
        raise ValueError("registry_db must not contain a password; use LSST_DB_AUTH_CREDENTIALS.")
    if namespace is not None and (url is None or url.get_backend_name() == "sqlite"):
        # daf_butler would only fail after writing butler.yaml.
        raise ValueError("A namespace needs a PostgreSQL registry_db; SQLite has no schemas.")
    seed = Config()
    if registry_db is not None:
        seed["registry", "db"] = registry_db
    if namespace is not None:
        seed["registry", "namespace"] = namespace
    Butler.makeRepo(root_uri, config=seed)
    return root_uri.join("butler.yaml").geturl()


def _box(ra: float, dec: float, half_width: float) -> sphgeom.ConvexPolygon:
    # A square of 2 * half_width degrees on the sky, centred on (ra, dec).
    half_ra = half_width / max(math.cos(math.radians(dec)), 1e-3)
    corners = [
        sphgeom.UnitVector3d(sphgeom.LonLat.fromDegrees(ra + dra, dec + ddec))
        for dra, ddec in ((-half_ra, -half_width), (half_ra, -half_width), (half_ra, half_width))
    ]
    corners.append(sphgeom.UnitVector3d(sphgeom.LonLat.fromDegrees(ra - half_ra, dec + half_width)))
    return sphgeom.ConvexPolygon(corners)


# Half-widths of the demo fields of view in degrees (LSSTCam ~3.5 deg, LATISS ~7 arcmin).
_FIELD_HALF_WIDTH = {"LSSTCam": 1.75, "LATISS": 0.06}


def _detector_region(exposure: DemoExposure, detector: int, n_detectors: int) -> sphgeom.ConvexPolygon:
    # Detectors tile the visit's field in a square grid (2 x 2 for the four LSSTCam ones).
    assert exposure.pointing is not None
    half = _FIELD_HALF_WIDTH[exposure.instrument]
    side = math.ceil(math.sqrt(n_detectors))
    cell = 2 * half / side
    row, col = divmod(detector, side)
    dec = exposure.pointing.dec - half + (row + 0.5) * cell
    cos_dec = max(math.cos(math.radians(exposure.pointing.dec)), 1e-3)
    ra = exposure.pointing.ra + (-half + (col + 0.5) * cell) / cos_dec
    return _box(ra, dec, cell / 2)


def _dimension_records(content: DemoContent) -> list[tuple[str, list[dict[str, Any]]]]:
    # Elements in dependency order: insertDimensionData checks foreign keys immediately.
    science = content.visits
    detectors_of = {i: content.detector_ids(i) for i in content.instrument_names}
    return [
        (
            "instrument",
            [
                {
                    "name": i.name,
                    "class_name": i.class_name,
                    "detector_max": i.detector_max,
                    "exposure_max": i.exposure_max,
                    "visit_max": i.visit_max,
                    "visit_system": i.visit_system,
                }
                for i in content.instruments
            ],
        ),
        (
            "physical_filter",
            [{"instrument": f.instrument, "name": f.name, "band": f.band} for f in content.physical_filters],
        ),
        (
            "detector",
            [
                {
                    "instrument": d.instrument,
                    "id": d.id,
                    "full_name": d.full_name,
                    "raft": d.raft,
                    "name_in_raft": d.name_in_raft,
                    "purpose": d.purpose,
                }
                for d in content.detectors
            ],
        ),
        (
            "day_obs",
            [
                # A Rubin observing day runs from 12:00 TAI to 12:00 TAI the next day.
                {"instrument": i, "id": d, "timespan": Timespan.from_day_obs(d, offset=12 * 3600)}
                for i in content.instrument_names
                for d in content.day_obs
            ],
        ),
        ("group", [{"instrument": e.instrument, "name": e.group} for e in content.exposures]),
        (
            "visit_system",
            [
                {"instrument": i, "id": vs_id, "name": vs_name}
                for i in content.instrument_names
                for vs_id, vs_name in content.visit_systems.items()
            ],
        ),
        ("exposure", [_exposure_record(e) for e in content.exposures]),
        ("visit", [_visit_record(e) for e in science]),
        (
            "visit_definition",
            [{"instrument": e.instrument, "exposure": e.id, "visit": e.id} for e in science],
        ),
        (
            "visit_system_membership",
            [
                {"instrument": e.instrument, "visit_system": vs_id, "visit": e.id}
                for e in science
                for vs_id in content.visit_systems
            ],
        ),
        (
            "visit_detector_region",
            [
                {
                    "instrument": e.instrument,
                    "visit": e.id,
                    "detector": d,
                    "region": _detector_region(e, d, len(detectors_of[e.instrument])),
                }
                for e in science
                for d in detectors_of[e.instrument]
            ],
        ),
    ]


def _exposure_record(e: DemoExposure) -> dict[str, Any]:
    p = e.pointing
    return {
        "instrument": e.instrument,
        "id": e.id,
        "day_obs": e.day_obs,
        "group": e.group,
        "physical_filter": e.physical_filter,
        "obs_id": e.obs_id,
        "exposure_time": e.exposure_time,
        "dark_time": e.dark_time,
        "observation_type": e.observation_type,
        "observation_reason": e.observation_reason,
        "seq_num": e.seq_num,
        "seq_start": e.seq_num,
        "seq_end": e.seq_num,
        "target_name": e.target_name,
        "science_program": e.science_program,
        "tracking_ra": p.ra if p else None,
        "tracking_dec": p.dec if p else None,
        "sky_angle": p.sky_angle if p else None,
        "azimuth": p.azimuth if p else None,
        "zenith_angle": p.zenith_angle if p else None,
        "has_simulated": False,
        "can_see_sky": p is not None,
        "timespan": e.timespan,
    }


def _visit_record(e: DemoExposure) -> dict[str, Any]:
    assert e.pointing is not None
    return {
        "instrument": e.instrument,
        "id": e.id,
        "day_obs": e.day_obs,
        "physical_filter": e.physical_filter,
        "name": e.obs_id,
        "seq_num": e.seq_num,
        "exposure_time": e.exposure_time,
        "target_name": e.target_name,
        "observation_reason": e.observation_reason,
        "science_program": e.science_program,
        "azimuth": e.pointing.azimuth,
        "zenith_angle": e.pointing.zenith_angle,
        "region": _box(e.pointing.ra, e.pointing.dec, _FIELD_HALF_WIDTH[e.instrument]),
        "timespan": e.timespan,
    }


def _data_id_dicts(dataset_type: DemoDatasetType, data_ids: frozenset[DataIdTuple]) -> list[dict[str, Any]]:
    return [dict(zip(dataset_type.dimensions, values, strict=True)) for values in sorted(data_ids, key=str)]


def populate(butler: Butler) -> None:
    """Insert the demo content (`DEMO`) into an empty, writeable repository.

    Everything except dataset type registration happens in one ``butler.transaction()``.

    Parameters
    ----------
    butler : `lsst.daf.butler.Butler`
        Writeable Butler of a repository holding no instruments and none of the demo collections.

    Raises
    ------
    ValueError
        Raised if the repository already holds instruments or demo collections.
    """
    content = DEMO
    registry = butler.registry
    if butler.query_dimension_records("instrument", explain=False, limit=1):
        raise ValueError("The repository already holds instruments; the demo content needs an empty one.")
    clashing = set(butler.collections.query("*")) & set(content.collection_types)
    if clashing:
        raise ValueError(f"The repository already holds demo collections: {sorted(clashing)}.")

    # Registering a dataset type creates tables, which daf_butler refuses inside a transaction;
    # it is idempotent, so a failed populate can simply be retried.
    for dt in content.dataset_types:
        registry.registerDatasetType(
            DatasetType(
                dt.name,
                dt.dimensions,
                dt.storage_class,
                universe=butler.dimensions,
                isCalibration=dt.is_calibration,
            )
        )

    # Deterministic dataset IDs: a rebuilt demo repository has the same UUIDs as before.
    id_mode = DatasetIdGenEnum.DATAID_TYPE_RUN
    with butler.transaction():
        for element, records in _dimension_records(content):
            registry.insertDimensionData(element, *records)

        for name, collection_type in content.collection_types.items():
            butler.collections.register(name, collection_type, doc=content.docs[name])

        raw_refs: list[DatasetRef] = []
        for run in content.raw_runs.values():
            raw_refs += registry.insertDatasets(
                content.raw.name,
                _data_id_dicts(content.raw, content.stored_data_ids(content.raw.name, run)),
                run=run,
                idGenerationMode=id_mode,
            )
        tagged = content.stored_data_ids(content.raw.name, content.tagged_raw)
        registry.associate(
            content.tagged_raw,
            [ref for ref in raw_refs if tuple(ref.dataId[d] for d in content.raw.dimensions) in tagged],
        )

        registry.insertDatasets(
            content.calexp.name,
            _data_id_dicts(content.calexp, content.stored_data_ids(content.calexp.name, content.calexp_run)),
            run=content.calexp_run,
            idGenerationMode=id_mode,
        )

        bias_refs = registry.insertDatasets(
            content.bias.name,
            _data_id_dicts(content.bias, content.stored_data_ids(content.bias.name, content.bias_run)),
            run=content.bias_run,
            idGenerationMode=id_mode,
        )
        valid_from = Time(content.bias_valid_from, format="isot", scale="tai")
        registry.certify(content.calibration, bias_refs, Timespan(valid_from, None))

        for parent, children in content.chains.items():
            butler.collections.redefine_chain(parent, list(children))


def _marker_text() -> str:
    return f"demo-content-version: {DEMO.version}\n"


def _is_complete(repo: Path) -> bool:
    marker = repo / DEMO_MARKER_NAME
    try:
        return marker.read_text() == _marker_text() and (repo / "butler.yaml").is_file()
    except (OSError, UnicodeDecodeError):
        return False


def _config_uri(repo: Path) -> str:
    return ResourcePath(repo.absolute(), forceDirectory=True).join("butler.yaml").geturl()


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    # Serialises builders across processes (e.g. two gateways sharing a data directory).
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def build_demo_repository(data_dir: Path) -> str:
    """Return the demo repository in ``data_dir``, building it first if it is missing or stale.

    The repository lives in ``data_dir/demo-repo`` and counts as complete only when its marker
    file holds the current content version. A build happens in a temporary sibling directory,
    which is renamed into place after the marker is written, so a crash never leaves a
    half-built repository at the final path.

    Parameters
    ----------
    data_dir : `pathlib.Path`
        Directory for the gateway's data; created if missing.

    Returns
    -------
    uri : `str`
        URI of the repository's ``butler.yaml`` (SQLite registry).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    final = data_dir / DEMO_REPO_DIRNAME
    if _is_complete(final):
        return _config_uri(final)
    with _exclusive_lock(data_dir / f".{DEMO_REPO_DIRNAME}.lock"):
        if _is_complete(final):  # Another process built it while we waited for the lock.
            return _config_uri(final)
        # Leftovers of crashed builds; safe to delete since we hold the lock.
        for pattern in (f"{DEMO_REPO_DIRNAME}-build-*", f"{DEMO_REPO_DIRNAME}-old-*"):
            for stale in data_dir.glob(pattern):
                _remove(stale)
        # No dots in the name (makeRepo would take the text after one for a config file format);
        # mkdir rather than mkdtemp so that the repository gets the umask's permissions, not 0700.
        staging = data_dir / f"{DEMO_REPO_DIRNAME}-build-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            butler = Butler.from_config(create_repository(staging), writeable=True)
            try:
                populate(butler)
            finally:
                butler.close()
            with (staging / DEMO_MARKER_NAME).open("w") as marker:
                marker.write(_marker_text())
                marker.flush()
                os.fsync(marker.fileno())
            if final.exists() or final.is_symlink():
                # Directories cannot be replaced atomically: move the stale one aside first.
                trash = data_dir / f"{DEMO_REPO_DIRNAME}-old-{uuid.uuid4().hex}"
                final.rename(trash)
                staging.rename(final)
                # The new repository is in place; a failed cleanup is retried by the next build.
                with contextlib.suppress(OSError):
                    _remove(trash)
            else:
                staging.rename(final)
        except BaseException:
            _remove(staging)
            raise
    return _config_uri(final)
