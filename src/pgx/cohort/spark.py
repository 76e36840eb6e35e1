"""Evaluate a Spark DataFrame of profiles (flat profile schema) on the executors.

```python
from pgx.cohort import spark as pgx_spark
results = pgx_spark.evaluate(spark.read.parquet("cohort.parquet"))
results.groupBy("rule_id", "outcome").count().show()
```

Each partition is evaluated by the columnar engine through ``mapInArrow``; the ruleset is
broadcast once and unpickled once per executor Python process. Needs ``pgx[spark]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from pgx.cohort import _evaluate_with, _outcomes, plan_for
from pgx.cohort._shipping import PLAIN_SCHEMA, evaluator_for, plain, shipped
from pgx.io import default_ruleset
from pgx.model.ruleset import RuleSet

__all__ = ["evaluate", "result_schema"]


def result_schema() -> Any:
    """The Spark schema of `evaluate`'s result (`pgx.cohort.RESULT_SCHEMA` less ``row``)."""
    from pyspark.sql.pandas.types import from_arrow_schema  # noqa: PLC0415 - optional extra

    return from_arrow_schema(PLAIN_SCHEMA)


def evaluate(
    frame: Any,
    ruleset: RuleSet | None = None,
    *,
    drugs: Iterable[str] | None = None,
    outcomes: Iterable[str] | str = ("fires", "indeterminate"),
    batch_rows: int = 65_536,
) -> Any:
    """Evaluate every row of a Spark DataFrame of profiles; lazy, like any transformation.

    Args:
        frame: A `pyspark.sql.DataFrame` in the flat profile schema (one row per profile,
            columns named by profile path; give an ``id`` column to know the rows apart).
        ruleset: The rules; ``None`` means the bundled rules.
        drugs: Only rules about these drugs.
        outcomes: As for `pgx.cohort.evaluate`.
        batch_rows: Rows evaluated at once within a partition.

    Returns:
        A DataFrame with `result_schema`: one row per profile and rule, as
        `pgx.cohort.evaluate` (without ``row``, which would be partition-local).
    """
    rules = ruleset if ruleset is not None else default_ruleset()
    wanted = tuple(sorted(_outcomes(outcomes)))
    chosen = None if drugs is None else tuple(drugs)
    plan_for(rules, chosen)  # an unknown drug fails here, on the driver, not in a worker
    key, payload = shipped(rules)
    broadcast = frame.sparkSession.sparkContext.broadcast(payload)

    # Spark reads dots in a column name as struct access: the columns travel as c0, c1...
    # and get their profile-path names back on the worker
    names = list(frame.columns)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        evaluator = evaluator_for(key, broadcast.value, chosen)
        renamed = (batch.rename_columns(names) for batch in batches)
        parts = _evaluate_with(evaluator, renamed, frozenset(wanted), False, batch_rows)
        yield from plain(part.results for part in parts)

    safe = frame.toDF(*[f"c{i}" for i in range(len(names))])
    return safe.mapInArrow(run, result_schema())
