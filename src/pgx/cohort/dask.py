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

from pgx.cohort import _evaluate_with, _outcomes, plan_for
from pgx.cohort._run import RESULT_SCHEMA
from pgx.cohort._shipping import evaluator_for, shipped
from pgx.io import default_ruleset
from pgx.model.ruleset import RuleSet

__all__ = ["evaluate", "meta"]

# `RESULT_SCHEMA` less the input row number, which would be partition-local
_DASK_SCHEMA = pa.schema([f for f in RESULT_SCHEMA if f.name != "row"])


def meta() -> Any:
    """An empty pandas DataFrame with the columns and dtypes of `evaluate`'s partitions.

    Columns are Arrow-backed (`pandas.ArrowDtype`) with the types of
    `pgx.cohort.RESULT_SCHEMA`: the repeated strings stay dictionary-encoded and ``drugs``
    stays a list of strings. NumPy-backed pandas could hold those only as Python objects,
    one per cell, to build, pickle between processes and write, and Dask cannot tell an
    object column's type from an empty frame (``to_parquet`` of such a result fails).
    """
    return _frame(_DASK_SCHEMA.empty_table())


def _frame(table: pa.Table) -> Any:
    import pandas as pd  # noqa: PLC0415 - optional extra

    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _partition(
    frame: Any,
    shipment: tuple[str, bytes],
    drugs: tuple[str, ...] | None,
    outcomes: tuple[str, ...],
    batch_rows: int,
) -> Any:
    evaluator = evaluator_for(*shipment, drugs)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    parts = _evaluate_with(evaluator, table, frozenset(outcomes), False, batch_rows)
    tables = [part.results.drop_columns(["row"]) for part in parts]
    if not tables:
        return meta()
    return _frame(pa.concat_tables(tables))


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
        A Dask DataFrame with the columns of `pgx.cohort.RESULT_SCHEMA` less ``row``
        (Arrow-backed dtypes, see `meta`).
    """
    from dask.delayed import delayed  # noqa: PLC0415 - optional extra

    rules = ruleset if ruleset is not None else default_ruleset()
    wanted = tuple(sorted(_outcomes(outcomes)))
    chosen = None if drugs is None else tuple(drugs)
    plan_for(rules, chosen)  # an unknown drug fails here, on the driver, not in a worker
    # one graph key for the ruleset: sent to each worker once, not once per partition
    shipment = delayed(shipped(rules), pure=True)
    return frame.map_partitions(
        _partition, shipment, chosen, wanted, batch_rows, meta=meta(), enforce_metadata=False
    )
