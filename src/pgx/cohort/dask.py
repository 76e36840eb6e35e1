"""Evaluate a Dask DataFrame of profiles (flat profile schema), partition by partition.

```python
import dask.dataframe as dd
from pgx.cohort import dask as pgx_dask
results = pgx_dask.evaluate(dd.read_parquet("cohort/*.parquet"))
results.groupby(["rule_id", "outcome"]).size().compute()
```

The ruleset enters the task graph once, as one key: the scheduler sends it to each worker
once, and each worker process unpickles it once. Needs ``pgx[dask]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from pgx.cohort import _outcomes, evaluate_batches
from pgx.cohort._shipping import PLAIN_SCHEMA, plain, ruleset_from, shipped
from pgx.io import default_ruleset
from pgx.model.ruleset import RuleSet

__all__ = ["evaluate", "meta"]


def meta() -> Any:
    """An empty pandas DataFrame with the columns and dtypes of `evaluate`'s partitions."""
    return PLAIN_SCHEMA.empty_table().to_pandas()


def _partition(
    frame: Any,
    shipment: tuple[str, bytes],
    drugs: tuple[str, ...] | None,
    outcomes: tuple[str, ...],
    batch_rows: int,
) -> Any:
    ruleset = ruleset_from(*shipment)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    parts = evaluate_batches(table, ruleset, drugs=drugs, outcomes=outcomes, batch_rows=batch_rows)
    batches = list(plain(part.results for part in parts))
    if not batches:
        return meta()
    return pa.Table.from_batches(batches, PLAIN_SCHEMA).to_pandas()


def evaluate(
    frame: Any,
    ruleset: RuleSet | None = None,
    *,
    drugs: Iterable[str] | None = None,
    outcomes: Iterable[str] | str = ("fires", "indeterminate"),
    batch_rows: int = 65_536,
) -> Any:
    """Evaluate every row of a Dask DataFrame of profiles; lazy, like any Dask operation.

    Args:
        frame: A `dask.dataframe.DataFrame` in the flat profile schema (give an ``id``
            column to know the rows apart).
        ruleset: The rules; ``None`` means the bundled rules.
        drugs: Only rules about these drugs.
        outcomes: As for `pgx.cohort.evaluate`.
        batch_rows: Rows evaluated at once within a partition.

    Returns:
        A Dask DataFrame with the columns of `pgx.cohort.RESULT_SCHEMA` less ``row``.
    """
    from dask.delayed import delayed  # noqa: PLC0415 - optional extra

    rules = ruleset if ruleset is not None else default_ruleset()
    wanted = tuple(sorted(_outcomes(outcomes)))
    chosen = None if drugs is None else tuple(drugs)
    # one graph key for the ruleset: sent to each worker once, not once per partition
    shipment = delayed(shipped(rules), pure=True)
    return frame.map_partitions(
        _partition, shipment, chosen, wanted, batch_rows, meta=meta(), enforce_metadata=False
    )
