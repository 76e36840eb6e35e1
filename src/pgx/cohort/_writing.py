"""Writing result tables to Parquet: the one place the file options are chosen."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["result_writer"]

# Row-group statistics only where they can skip row groups: the rows come in profile
# order, so ``row`` and ``profile_id`` ranges narrow a look-up of one patient, while every
# row group holds nearly every rule, outcome and action, whose min and max prune nothing.
# Computing those cost 45% of writing time (0.29 s -> 0.16 s for 2.5 M result rows).
_STATISTICS = ("row", "profile_id")


def result_writer(where: Any, schema: pa.Schema, filesystem: Any = None) -> pq.ParquetWriter:
    """A Parquet writer for result tables of ``schema`` at ``where`` (a path or a file)."""
    return pq.ParquetWriter(
        where,
        schema,
        filesystem=filesystem,
        write_statistics=[name for name in _STATISTICS if name in schema.names],
    )
