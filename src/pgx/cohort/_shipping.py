"""Shipping a ruleset to cluster workers once, and the tables they send back.

Workers receive the pickled ruleset (rules and knowledge, about 0.4 MB; the compiled form is
rebuilt on first use) and keep it per process by its content hash, so each worker process
unpickles and compiles it once however many partitions it evaluates. Each worker thread
also keeps one evaluator per ruleset and drug selection, so the leaf truths decided for one
partition's values serve the next partitions too: a partition then pays only for the values
its worker has not met before.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterable, Iterator

import pyarrow as pa

from pgx.cohort import plan_for
from pgx.cohort._run import RESULT_SCHEMA, Evaluator
from pgx.model.ruleset import RuleSet

__all__ = ["PLAIN_SCHEMA", "evaluator_for", "plain", "ruleset_from", "shipped"]

#: The result schema without the input row number (partition-local on a cluster) and with
#: plain strings where the local table has dictionaries (Spark's Arrow path has none).
PLAIN_SCHEMA = pa.schema(
    [
        pa.field(
            f.name,
            f.type.value_type if pa.types.is_dictionary(f.type) else f.type,
            nullable=f.nullable,
        )
        for f in RESULT_SCHEMA
        if f.name != "row"
    ]
)

_WORKER_RULESETS: dict[str, RuleSet] = {}
# per thread: an evaluator holds per-batch state, and a Dask worker may run several threads
_WORKER_EVALUATORS = threading.local()


def shipped(ruleset: RuleSet) -> tuple[str, bytes]:
    """The ruleset as a key and the bytes a worker rebuilds it from."""
    return ruleset.sha256, pickle.dumps(ruleset, protocol=pickle.HIGHEST_PROTOCOL)


def ruleset_from(key: str, payload: bytes) -> RuleSet:
    """The worker process's copy of a shipped ruleset (unpickled once per process)."""
    found = _WORKER_RULESETS.get(key)
    if found is None:
        # pgx's own shipped bytes, produced by `shipped` in the driver: trusted input
        found = _WORKER_RULESETS[key] = pickle.loads(payload)
    return found


def evaluator_for(key: str, payload: bytes, drugs: tuple[str, ...] | None) -> Evaluator:
    """This worker thread's evaluator for a shipped ruleset and drug selection."""
    evaluators: dict[tuple[str, tuple[str, ...] | None], Evaluator] = (
        _WORKER_EVALUATORS.__dict__.setdefault("by_key", {})
    )
    found = evaluators.get((key, drugs))
    if found is None:
        ruleset = ruleset_from(key, payload)
        found = evaluators[key, drugs] = Evaluator(plan_for(ruleset, drugs))
    return found


def plain(tables: Iterable[pa.Table]) -> Iterator[pa.RecordBatch]:
    """Result tables as record batches of `PLAIN_SCHEMA`."""
    for table in tables:
        yield from table.drop_columns(["row"]).cast(PLAIN_SCHEMA).to_batches()
