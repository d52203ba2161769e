"""The run store: a DuckDB catalog of runs and their per-step series in Parquet.

Workers write a run's files (:func:`write_run`: series, then manifest, each atomically);
one coordinator process registers them in the catalog (:meth:`RunStore.register`). See
:mod:`fentanet.store.files` for the layout and :mod:`fentanet.store.catalog` for the schema.
"""

from fentanet.store.catalog import SCHEMA_VERSION
from fentanet.store.files import RunRecord, StoreError, new_id, write_run
from fentanet.store.store import (
    CATALOG_NAME,
    DEFAULT_STORE,
    STORE_ENV,
    CheckReport,
    RebuildReport,
    RunStore,
    rebuild_catalog,
    resolve_store_path,
)

__all__ = [
    "CATALOG_NAME",
    "DEFAULT_STORE",
    "SCHEMA_VERSION",
    "STORE_ENV",
    "CheckReport",
    "RebuildReport",
    "RunRecord",
    "RunStore",
    "StoreError",
    "new_id",
    "rebuild_catalog",
    "resolve_store_path",
    "write_run",
]
