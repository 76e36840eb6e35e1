"""Cohort mode: the same rules over a table of profiles at once, column by column.

```python
import pyarrow.compute as pc
import pgx.cohort
results = pgx.cohort.evaluate("cohort.parquet")          # bundled rules
fired = results.filter(pc.equal(results["outcome"], "fires"))
```

`evaluate` returns one row per profile and rule (by default only rules that fire or are
indeterminate, as a report lists them). Its outcomes are those of [`pgx.evaluate`][pgx.evaluate]
for the same profile, which a property test checks for every bundled rule; explanations are
computed on demand for the rows asked about ([`explain`][pgx.cohort.explain],
[`report`][pgx.cohort.report]). Input is a table in the flat profile schema (Arrow, pandas,
a Parquet path) or an iterable of profiles or mappings; see the cohort docs page.

Needs the ``cohort`` extra: ``pip install 'pgx[cohort]'`` (pyarrow, numpy).
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

import pyarrow as pa

from pgx.cohort._columns import DEFAULT_BATCH_ROWS, Batch, Reader
from pgx.cohort._columns import to_table as _to_table
from pgx.cohort._plan import Plan
from pgx.cohort._run import OUTCOMES, PHENOTYPE_SCHEMA, RESULT_SCHEMA, Evaluator
from pgx.cohort._summary import SUMMARY_SCHEMA, add_counts, summary_table
from pgx.cohort._vcf import is_vcf, vcf_profiles
from pgx.engine import evaluate_profile, explain_rule
from pgx.errors import InputError, Problem
from pgx.io import default_ruleset, profile_sha256, read_profile
from pgx.model.explanation import Explanation
from pgx.model.profile import Profile
from pgx.model.report import Report
from pgx.model.ruleset import RuleSet

__all__ = [
    "OUTCOMES",
    "PHENOTYPE_SCHEMA",
    "RESULT_SCHEMA",
    "SUMMARY_SCHEMA",
    "CohortBatch",
    "evaluate",
    "evaluate_batches",
    "explain",
    "phenotypes",
    "profile",
    "report",
    "summary",
    "to_table",
    "vcf_profiles",
]

_PLANS: weakref.WeakKeyDictionary[RuleSet, dict[tuple[str, ...] | None, Plan]] = (
    weakref.WeakKeyDictionary()
)


def plan_for(ruleset: RuleSet, drugs: Iterable[str] | None = None) -> Plan:
    """The ruleset's columnar plan, built once per ruleset (and drug selection) per process."""
    key = None if drugs is None else tuple(sorted({d.strip().lower() for d in drugs}))
    plans = _PLANS.setdefault(ruleset, {})
    found = plans.get(key)
    if found is None:
        found = plans[key] = Plan(ruleset, key)
    return found


def _outcomes(outcomes: Iterable[str] | str) -> frozenset[str]:
    if outcomes == "all":
        return frozenset(OUTCOMES)
    if isinstance(outcomes, str):
        outcomes = (outcomes,)
    chosen = frozenset(outcomes)
    bad = sorted(chosen - set(OUTCOMES))
    if bad:
        raise InputError(
            [Problem("outcomes", f"expected 'all' or some of {', '.join(OUTCOMES)}, found {bad}")]
        )
    return chosen


class CohortBatch:
    """Results of one batch of input rows (see `evaluate_batches`).

    Attributes:
        results: The long result table (`RESULT_SCHEMA`) for these rows.
        phenotypes: The per-gene phenotype table (`PHENOTYPE_SCHEMA`), when asked for.
        rows: How many input rows the batch held.
        evaluations: Rule evaluations done for it (rules x rows).
    """

    __slots__ = ("evaluations", "phenotypes", "results", "rows")

    def __init__(
        self, results: pa.Table, phenotypes: pa.Table | None, rows: int, evaluations: int
    ) -> None:
        self.results = results
        self.phenotypes = phenotypes
        self.rows = rows
        self.evaluations = evaluations


def evaluate_batches(
    profiles: object,
    ruleset: RuleSet | None = None,
    *,
    drugs: Iterable[str] | None = None,
    outcomes: Iterable[str] | str = ("fires", "indeterminate"),
    phenotypes: bool = False,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> Iterator[CohortBatch]:
    """Evaluate profiles batch by batch, in bounded memory (see `evaluate` for arguments).

    Args:
        profiles: As for `evaluate`.
        ruleset: As for `evaluate`.
        drugs: As for `evaluate`.
        outcomes: As for `evaluate`.
        phenotypes: Also compute each batch's phenotype table.
        batch_rows: Rows per batch (memory grows with it).

    Yields:
        One `CohortBatch` per batch of input rows, in input order.
    """
    rules = ruleset if ruleset is not None else default_ruleset()
    evaluator = Evaluator(plan_for(rules, drugs))
    return _evaluate_with(evaluator, profiles, _outcomes(outcomes), phenotypes, batch_rows)


def _evaluate_with(
    evaluator: Evaluator,
    profiles: object,
    wanted: frozenset[str],
    phenotypes: bool,
    batch_rows: int,
) -> Iterator[CohortBatch]:
    # `evaluate_batches` with the evaluator given: a cluster worker keeps one (and the leaf
    # truths it has decided) across the partitions it evaluates
    rules = evaluator.plan.ruleset
    if is_vcf(profiles):
        profiles = vcf_profiles(profiles, rules)  # type: ignore[arg-type]
    for batch in Reader(rules, batch_rows).batches(profiles):
        evaluator.check(batch)
        before = evaluator.evaluations
        results = evaluator.results(batch, wanted)
        table = evaluator.phenotypes(batch) if phenotypes else None
        yield CohortBatch(results, table, batch.rows, evaluator.evaluations - before)


def evaluate(
    profiles: object,
    ruleset: RuleSet | None = None,
    *,
    drugs: Iterable[str] | None = None,
    outcomes: Iterable[str] | str = ("fires", "indeterminate"),
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> pa.Table:
    """Evaluate every profile of a table against the rules, column by column.

    Args:
        profiles: A table in the flat profile schema (a `pyarrow.Table` or record batch,
            a pandas DataFrame, or the path of a Parquet file), an iterable of
            `Profile`s or profile mappings, or the path of a joint-called VCF
            (``.vcf``, ``.vcf.gz``, ``.vcf.bgz``: every sample is a profile, the file read
            once; see `vcf_profiles`).
        ruleset: The rules; ``None`` means the bundled rules.
        drugs: Only rules about these drugs (as `pgx.evaluate`'s ``drugs``).
        outcomes: Which outcomes get a row: some of ``fires``, ``does_not_fire``,
            ``indeterminate``, or ``"all"``. By default what a report lists.
        batch_rows: Rows evaluated at once.

    Returns:
        A table with `RESULT_SCHEMA`: ``row`` (0-based input row), ``profile_id``,
        ``rule_id``, ``rule_version``, ``outcome``, ``action``, ``drugs``,
        ``evidence_level``, ``superseded_by`` (the firing rule that hides this one, as a
        report's ``superseded``) and ``conflict`` (the finding contradicts another on a
        shared drug, as a report's ``conflicts``). Rows are in input order, rules by id.

    Raises:
        ProfileError: a column is not a profile path, or a value is not valid there (with
            the input row and profile id).
        InputError: ``drugs`` names an unknown drug, or ``outcomes`` an unknown outcome.
    """
    parts = [
        b.results
        for b in evaluate_batches(
            profiles, ruleset, drugs=drugs, outcomes=outcomes, batch_rows=batch_rows
        )
    ]
    if not parts:
        return RESULT_SCHEMA.empty_table()
    return pa.concat_tables(parts).unify_dictionaries().combine_chunks()


def phenotypes(
    profiles: object, ruleset: RuleSet | None = None, *, batch_rows: int = DEFAULT_BATCH_ROWS
) -> pa.Table:
    """Each profile's germline genes as pgx understood them (a report's ``phenotypes``).

    Returns:
        A table with `PHENOTYPE_SCHEMA`: ``row``, ``profile_id``, ``gene``, ``diplotype``,
        ``phenotype``, ``activity_score``, ``status``, ``source``; one row per profile and
        germline gene given, in input order and gene order.
    """
    rules = ruleset if ruleset is not None else default_ruleset()
    evaluator = Evaluator(plan_for(rules))
    parts = []
    for batch in Reader(rules, batch_rows).batches(profiles):
        evaluator.check(batch)
        parts.append(evaluator.phenotypes(batch))
    if not parts:
        return PHENOTYPE_SCHEMA.empty_table()
    return pa.concat_tables(parts).combine_chunks()


def _batch_with(profiles: object, rules: RuleSet, row: int) -> tuple[Batch, int]:
    if row < 0:
        raise InputError([Problem("row", f"expected a row number >= 0, found {row}")])
    for batch in Reader(rules).batches(profiles):
        if batch.offset <= row < batch.offset + batch.rows:
            return batch, row - batch.offset
    raise InputError([Problem("row", f"no row {row} in the input")])


def profile(profiles: object, row: int, ruleset: RuleSet | None = None) -> Profile:
    """The profile in input row ``row``, as `pgx.evaluate` reads it.

    Raises:
        InputError: there is no such row.
        ProfileError: the row is not a valid profile.
    """
    rules = ruleset if ruleset is not None else default_ruleset()
    batch, at = _batch_with(profiles, rules, row)
    return read_profile(batch.mapping(at))


def report(
    profiles: object,
    row: int,
    ruleset: RuleSet | None = None,
    *,
    drugs: Iterable[str] | None = None,
    now: datetime | str | None = None,
) -> Report:
    """The full report, with traces, for input row ``row`` (what `pgx.evaluate` gives)."""
    rules = ruleset if ruleset is not None else default_ruleset()
    loaded = profile(profiles, row, rules)
    return evaluate_profile(
        loaded,
        rules,
        drugs=drugs,
        now=now,
        version=_version(),
        input_sha256=profile_sha256(loaded),
    )


def explain(
    profiles: object, row: int, rule_id: str, ruleset: RuleSet | None = None
) -> Explanation:
    """Why rule ``rule_id`` did, did not, or could not fire for input row ``row``."""
    rules = ruleset if ruleset is not None else default_ruleset()
    return explain_rule(profile(profiles, row, rules), rule_id, rules)


def _version() -> str:
    try:
        return version("pgx")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def summary(results: pa.Table | Iterable[pa.Table]) -> pa.Table:
    """Per drug, how many profiles get each action, as ``pgx cohort`` prints at the end.

    Only findings a report shows count: rules that fire and are not superseded. A profile
    counts once per drug and action, however many of its rules give them.

    Args:
        results: A result table of `evaluate`, or the tables of `evaluate_batches` (or of
            cluster partitions), each holding whole profiles. Rows are told apart by
            ``row`` where a table has it, else by ``profile_id``.

    Raises:
        InputError: a table without ``row`` has a shown finding without a profile id.

    Returns:
        A table with columns ``drug``, ``action``, ``profiles``, sorted by drug and action.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for table in [results] if isinstance(results, pa.Table) else results:
        add_counts(table, counts)
    return summary_table(counts.items())


def to_table(profiles: Iterable[object], ruleset: RuleSet | None = None) -> pa.Table:
    """Profiles (or profile mappings, or paths) as a table in the flat profile schema.

    Each germline gene, tumor and clinical section (and each expression gene, biomarker and
    lab) becomes one column named by its profile path, e.g. ``germline.CYP2C19`` (a struct
    of the gene's result) or ``tumor.biomarkers.TMB``. Write it with `pyarrow.parquet`.

    Raises:
        ProfileError: a profile is malformed, or one path holds values of different types
            in different profiles (a biomarker given as a number and as text).
    """
    return _to_table(profiles, ruleset if ruleset is not None else default_ruleset())
