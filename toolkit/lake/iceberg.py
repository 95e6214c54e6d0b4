"""The lake's tables as Apache Iceberg tables (pyiceberg): catalogs, day commits, planning.

* Catalog: a SQLite catalog inside a local lake (``<lake>/_catalog/catalog.db``, no setup) or
  AWS Glue (the catalog Athena reads) — ``TRAILWATCH_CATALOG=sqlite|glue``; an ``s3://`` lake
  defaults to Glue. Namespace/database: ``TRAILWATCH_ATHENA_DATABASE`` (default ``trailwatch``).
* Layout: a table's location is where ``Lake.table`` puts it; data files stay in Hive-style
  ``dt=YYYY-MM-DD/`` folders (each write in its own ``run-*`` sub-folder, so names never clash),
  metadata under ``metadata/``. ``dt`` is a string column with an identity partition.
* A write is one Iceberg commit (optimistic concurrency): ``replace_day`` drops the day's current
  files and adds the new ones in one OVERWRITE snapshot; ``append_files`` adds files. When another
  writer committed first, the commit is re-planned on top of it (up to ``COMMIT_ATTEMPTS``), then
  ``CommitConflictError`` names the day. Nothing here deletes a data file: replaced files stay
  for time travel until ``maintain`` expires their snapshots and removes them as orphans.
* The table is created by its first write, from the Arrow schema of the files written; a file
  with new columns evolves the schema (``union_by_name``) in the same commit — old days are not
  rewritten, readers see NULL for them. Files need not hold ``dt``: the partition value is set
  from the day (Athena UNLOAD and DuckDB COPY write Hive-style files without it), and the
  table's name mapping lets every reader map file columns by name.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from toolkit.errors import CommitConflictError, UsageError

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.catalog import Catalog
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import Table

    from toolkit.lake import Lake

log = logging.getLogger(__name__)

PARTITION_COLUMN = "dt"
NAME_MAPPING = "schema.name-mapping.default"
COMMIT_ATTEMPTS = 8
# Lake table name (``Lake`` methods) -> Iceberg table name; curated models are ``curated/<model>``.
ICEBERG_TABLES = {"events": "events", "insights": "insights", "metrics": "metrics",
                  "alarm_states": "alarm_states", "anomalies": "anomalies", "findings": "findings"}
TABLE_PROPERTIES = {
    "format-version": "2",
    "write.parquet.compression-codec": "zstd",
    # pyiceberg removes metadata JSON files beyond the last 100 versions after each commit.
    "write.metadata.delete-after-commit.enabled": "true",
    "write.metadata.previous-versions-max": "100",
    # Lost races are re-planned here (the day's files are looked up again on top of the winner);
    # pyiceberg's own retry would re-apply the stale plan and refuse it.
    "commit.retry.num-retries": "0",
}

# Test hooks: called as hook(stage, table, day) at "planned" (new files known, before the commit)
# and "committed". Tests use them to force interleavings of concurrent writers without sleeps.
HOOKS: list[Callable[[str, str, str | None], None]] = []

_catalogs: dict[tuple, Catalog] = {}
_last_commits = threading.local()  # (lake root, table) -> snapshot id of this thread's last commit
_catalogs_lock = threading.Lock()


def is_iceberg(name: str) -> bool:
    """Whether a lake table name is an Iceberg table (the others are plain folders)."""
    return name in ICEBERG_TABLES or name.startswith("curated/")


def identifier(lake: Lake, name: str) -> tuple[str, str]:
    """(database, table) of a lake table: ``curated/cur_x`` -> ``cur_x``."""
    if not is_iceberg(name):
        raise UsageError(f"{name!r} is not an Iceberg table of the lake")
    return (lake.database, ICEBERG_TABLES.get(name) or name.split("/", 1)[1])


def _hook(stage: str, name: str, day: str | None) -> None:
    for hook in list(HOOKS):
        hook(stage, name, day)


# --- catalogs ----------------------------------------------------------------------------------

def catalog(lake: Lake, create: bool = False) -> Catalog | None:
    """The lake's catalog (cached per process, lake and kind). Readers get None while a local
    lake has no catalog yet (nothing is created by reading); writers (``create``) create it
    and the namespace."""
    key = (os.getpid(), lake.root, lake.catalog, lake.database, lake.endpoint_url, lake.region)
    with _catalogs_lock:
        if key in _catalogs:
            return _catalogs[key]
        if lake.catalog == "sqlite" and not create and not lake.is_s3 and not os.path.exists(_sqlite_path(lake)):
            return None
        found = _open_catalog(lake)
        if create:
            _ensure_namespace(found, lake.database)
        _catalogs[key] = found
        return found


def preload(lake: Lake) -> threading.Thread:
    """Import what a commit needs (pyiceberg and the lake's catalog client: ~1 s of imports) on
    a background thread, so a writer that works for a while first (the ingest) does not wait
    for it at its commit. Join the thread before committing."""
    import importlib

    modules = ["pyiceberg.io.pyarrow", "pyiceberg.table", "pyiceberg.manifest", "pyiceberg.partitioning",
               "pyiceberg.catalog.glue" if lake.catalog == "glue" else "pyiceberg.catalog.sql"]

    def imports() -> None:
        for module in modules:
            try:
                importlib.import_module(module)
            except ImportError:
                return  # the commit's own import says what is missing

    thread = threading.Thread(target=imports, name="trailwatch-preload", daemon=True)
    thread.start()
    return thread


def _sqlite_path(lake: Lake) -> str:
    return os.path.join(lake.root, "_catalog", "catalog.db")


def check_catalog(lake: Lake) -> None:
    """Refuse a catalog that cannot serve this lake, before anything is written."""
    if lake.catalog not in ("sqlite", "glue"):
        raise UsageError(f"TRAILWATCH_CATALOG must be 'sqlite' or 'glue', got {lake.catalog!r}")
    if lake.catalog == "sqlite" and lake.is_s3:
        raise UsageError(f"the SQLite catalog needs a local lake, not {lake.root}; "
                         "set TRAILWATCH_CATALOG=glue for an s3:// lake")


def _open_catalog(lake: Lake) -> Catalog:
    check_catalog(lake)
    if lake.catalog == "sqlite":
        from pyiceberg.catalog.sql import SqlCatalog

        folder = os.path.dirname(_sqlite_path(lake))
        os.makedirs(folder, exist_ok=True)
        for _ in range(5):  # two first runs may race to create the catalog's tables
            try:
                return SqlCatalog("trailwatch", uri=f"sqlite:///{_sqlite_path(lake)}",
                                  warehouse=f"file://{lake.root}", **_io_properties(lake))
            except Exception as exc:  # noqa: BLE001 - sqlalchemy's "table already exists" race
                if "already exists" not in str(exc) and "locked" not in str(exc):
                    raise
        raise CommitConflictError(f"could not open the SQLite catalog in {folder}")
    if lake.catalog == "glue":
        from pyiceberg.catalog.glue import GlueCatalog

        props = {"glue.region": lake.region, **_io_properties(lake)}
        if lake.endpoint_url:
            props["glue.endpoint"] = lake.endpoint_url
        return GlueCatalog("trailwatch", **props)
    raise UsageError(f"TRAILWATCH_CATALOG must be 'sqlite' or 'glue', got {lake.catalog!r}")


def _io_properties(lake: Lake) -> dict[str, str]:
    """FileIO (and Glue client) settings: the AWS session in use (``toolkit.aws``), through the
    same endpoint and region as the rest of the lake."""
    from toolkit.aws import pyiceberg_properties

    props = {**pyiceberg_properties(lake.endpoint_url), "s3.region": lake.region}
    if lake.endpoint_url:
        props["s3.endpoint"] = lake.endpoint_url
    return props


def _ensure_namespace(found: Catalog, database: str) -> None:
    from pyiceberg.exceptions import NamespaceAlreadyExistsError

    try:
        found.create_namespace_if_not_exists(database)
    except NamespaceAlreadyExistsError:
        pass


# --- tables ------------------------------------------------------------------------------------

def load(lake: Lake, name: str) -> Table | None:
    """The Iceberg table behind a lake table name, or None if nothing was written yet."""
    from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

    found = catalog(lake)
    if found is None:
        return None
    try:
        table = found.load_table(identifier(lake, name))
    except (NoSuchTableError, NoSuchNamespaceError):
        return None
    _check_location(lake, name, table)
    return table


def _check_location(lake: Lake, name: str, table: Table) -> None:
    expected, found = lake.table(name).rstrip("/"), table.location().rstrip("/")
    if found.removeprefix("file://") != expected.removeprefix("file://"):
        raise UsageError(f"catalog table {'.'.join(identifier(lake, name))} lives at {found}, not in "
                         f"this lake ({expected}); use another TRAILWATCH_ATHENA_DATABASE per lake")


def create(lake: Lake, name: str, arrow_schema: pa.Schema) -> Table:
    """Create the table from an Arrow schema (``dt`` added), or load it if another run won."""
    import pyarrow as pa
    from pyiceberg.catalog import Catalog
    from pyiceberg.exceptions import NoSuchNamespaceError, TableAlreadyExistsError
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import IdentityTransform

    fields = [f.with_nullable(True) for f in arrow_schema if f.name != PARTITION_COLUMN]
    schema = Catalog._convert_schema_if_needed(pa.schema([*fields, pa.field(PARTITION_COLUMN, pa.string())]))
    source = schema.find_field(PARTITION_COLUMN).field_id
    spec = PartitionSpec(PartitionField(source_id=source, field_id=1000, transform=IdentityTransform(),
                                        name=PARTITION_COLUMN))
    def _create():
        return catalog(lake, create=True).create_table(identifier(lake, name), schema=schema, partition_spec=spec,
                                          location=lake.table(name), properties=TABLE_PROPERTIES)

    try:
        try:
            table = _create()
        except NoSuchNamespaceError:  # the database was dropped since this process created it
            _ensure_namespace(catalog(lake, create=True), lake.database)
            table = _create()
    except TableAlreadyExistsError:
        table = catalog(lake, create=True).load_table(identifier(lake, name))
    _check_location(lake, name, table)
    return table


def ensure(lake: Lake, name: str, arrow_schema: pa.Schema) -> Table:
    """The table, created from ``arrow_schema`` if it does not exist yet."""
    return load(lake, name) or create(lake, name, arrow_schema)


# --- writes ------------------------------------------------------------------------------------

def replace_day(lake: Lake, name: str, day: dt.date, paths: list[str]) -> int:
    """One commit: the day's current files out, ``paths`` in. Returns the new snapshot id."""
    return commit_files(lake, name, {day: paths}, replace=True)


def append_files(lake: Lake, name: str, day: dt.date, paths: list[str]) -> int:
    """One commit adding ``paths`` to the day (late records merged in). New snapshot id."""
    return commit_files(lake, name, {day: paths}, replace=False)


def commit_files(lake: Lake, name: str, by_day: dict[dt.date, list[str]], *,
                 replace: bool) -> int | None:
    """One commit adding each day's Parquet files (first dropping the days' current files if
    ``replace``), re-planned on top of concurrent commits. Returns the new snapshot id."""
    from pyiceberg.exceptions import CommitFailedException, ValidationException

    paths = [p for day_paths in by_day.values() for p in day_paths]
    label = f"{name} dt={','.join(sorted(d.isoformat() for d in by_day))}"
    if not paths and not replace:
        raise ValueError(f"no data files to commit for {label}")
    footers = _footers(lake, paths)  # read once, whatever the retries
    schemas = _distinct_schemas(footers)  # a run's files share one: checked once
    first_schema = schemas[0] if paths else None  # the first file's (schemas keep file order)
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        # No paths: a commit that only drops the days (a table never written has nothing to drop).
        table = ensure(lake, name, first_schema) if paths else load(lake, name)
        if table is None:
            return None
        try:
            with table.transaction() as tx:
                if paths and tx.table_metadata.name_mapping() is None:  # no field ids: map by name
                    tx.set_properties(**{NAME_MAPPING: tx.table_metadata.schema().name_mapping.model_dump_json()})
                _evolve_schema(tx, schemas)
                new_files = data_files(tx.table_metadata, by_day, footers, schemas)
                summary = {"trailwatch.days": ",".join(sorted(d.isoformat() for d in by_day))}
                with tx.update_snapshot(snapshot_properties=summary).overwrite() as op:
                    for day in by_day if replace else ():
                        for old in day_files(table, day):
                            op.delete_data_file(old)
                    for new in new_files:
                        op.append_data_file(new)
                _hook("planned", name, label)
        except (CommitFailedException, ValidationException) as exc:
            log.info("commit of %s lost a race (attempt %d): %s", label, attempt, exc)
            continue
        snapshot_id = table.refresh().current_snapshot().snapshot_id
        if not hasattr(_last_commits, "ids"):
            _last_commits.ids = {}
        _last_commits.ids[(lake.root, name)] = snapshot_id
        _hook("committed", name, label)
        return snapshot_id
    raise CommitConflictError(f"{label}: {COMMIT_ATTEMPTS} commits in a row lost to concurrent "
                              "writers of the same table; rerun the command")


def last_commit(lake: Lake, name: str) -> int | None:
    """Snapshot id of the last commit this thread made to the table (None: none yet)."""
    return getattr(_last_commits, "ids", {}).get((lake.root, name))


def _footers(lake: Lake, paths: list[str]) -> dict[str, tuple]:
    """Each Parquet file's footer metadata and size in bytes (one read per file)."""
    import pyarrow.parquet as pq

    found = {}
    for path in paths:
        with lake.fs.open(path, "rb") as fh:
            size = getattr(fh, "size", None)
            found[path] = (pq.read_metadata(fh), size if isinstance(size, int) else lake.fs.size(path))
    return found


def _distinct_schemas(footers: dict[str, tuple]) -> list[pa.Schema]:
    """The different Arrow schemas of the files (a run's files share one: it is checked once)."""
    schemas: list = []
    for metadata, _ in footers.values():
        schema = metadata.schema.to_arrow_schema()
        if not any(schema.equals(s) for s in schemas):
            schemas.append(schema)
    return schemas


def _evolve_schema(tx, schemas: Iterable[pa.Schema]) -> None:
    """Add columns that the new files have and the table lacks (old days keep NULL)."""
    import pyarrow as pa
    from pyiceberg.catalog import Catalog

    known = set(tx.table_metadata.schema()._name_to_id)
    for arrow_schema in schemas:
        fields = [f.with_nullable(True) for f in arrow_schema if f.name != PARTITION_COLUMN]
        names = set(Catalog._convert_schema_if_needed(pa.schema(fields))._name_to_id)
        if names - known:
            with tx.update_schema() as update:
                update.union_by_name(pa.schema(fields))
            known |= names


def data_files(metadata, by_day: dict[dt.date, list[str]], footers: dict[str, tuple],
               schemas: list[pa.Schema]) -> list[DataFile]:
    """Iceberg DataFiles for each day's Parquet files (stats from their footers, partition = day).

    Like pyiceberg's ``parquet_file_to_data_file``, except that the partition value comes from the
    day being written, so files without a ``dt`` column (Hive-style) are accepted, and each of the
    files' distinct ``schemas`` is checked against the table once.
    """
    from pyiceberg.io.pyarrow import (
        _check_pyarrow_schema_compatible,
        compute_statistics_plan,
        data_file_statistics_from_parquet_metadata,
        parquet_path_to_id_mapping,
    )
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
    from pyiceberg.typedef import Record

    # pyiceberg warns once per column of an empty file ("statistics missing"); an empty day is normal
    logging.getLogger("pyiceberg.io.pyarrow").setLevel(logging.ERROR)
    schema = metadata.schema()
    for arrow_schema in schemas:
        _check_pyarrow_schema_compatible(schema, arrow_schema, format_version=metadata.format_version)
    plan = compute_statistics_plan(schema, metadata.properties)
    mapping = parquet_path_to_id_mapping(schema)
    out = []
    for day, paths in by_day.items():
        for path in paths:
            parquet_metadata, size = footers[path]
            statistics = data_file_statistics_from_parquet_metadata(
                parquet_metadata=parquet_metadata, stats_columns=plan, parquet_column_mapping=mapping)
            out.append(DataFile.from_args(
                content=DataFileContent.DATA, file_path=path, file_format=FileFormat.PARQUET,
                partition=Record(day.isoformat()), file_size_in_bytes=size, sort_order_id=None,
                spec_id=metadata.default_spec_id, equality_ids=None, key_metadata=None,
                **statistics.to_serialized_dict(),
            ))
    return out


# --- reads -------------------------------------------------------------------------------------

def day_files(table: Table, day: dt.date | None = None, snapshot_id: int | None = None) -> list[DataFile]:
    """Data files of the table (or one day) in the current (or given) snapshot.

    Read from the snapshot's manifests, not ``scan().plan_files()``: scan planning drops files
    with no rows, and an empty file is how a day says "computed, nothing found". A snapshot
    never changes, so its file list is cached per process (keyed by its manifest list).
    """
    snapshot = table.snapshot_by_id(snapshot_id) if snapshot_id is not None else table.current_snapshot()
    if snapshot is None:
        return []
    files = _snapshot_files(table, snapshot)
    if day is None:
        return list(files)
    wanted = day.isoformat()
    return [f for f in files if f.partition[0] == wanted]


_planned: dict[str, tuple] = {}
_PLANNED_MAX = 256


def _snapshot_files(table: Table, snapshot) -> tuple:
    key = snapshot.manifest_list
    if key not in _planned:
        if len(_planned) >= _PLANNED_MAX:
            _planned.pop(next(iter(_planned)))
        _planned[key] = tuple(entry.data_file for manifest in snapshot.manifests(table.io)
                              for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True))
    return _planned[key]


def days(table: Table) -> list[dt.date]:
    """Days holding at least one data file in the current snapshot (from manifests only)."""
    return sorted({dt.date.fromisoformat(f.partition[0]) for f in day_files(table)})


def snapshot_as_of(table: Table, as_of: int | dt.datetime) -> int | None:
    """The snapshot id a read ``as_of`` a snapshot id of this table or a time sees (None: empty)."""
    if isinstance(as_of, int):
        if table.metadata.snapshot_by_id(as_of) is None:
            raise UsageError(f"snapshot {as_of} is not in table {table.name()[-1]} (see `trailwatch lake "
                             "snapshots`); it may have been expired")
        return as_of
    millis = int(as_of.timestamp() * 1000)
    found = table.snapshot_as_of_timestamp(millis)
    return found.snapshot_id if found else None
