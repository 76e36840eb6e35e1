"""The one strict cattrs converter, and cattrs error trees turned into `Problem`s.

cattrs' defaults are lenient (``str(3)``, iterating a string as a list); pgx never coerces
input, so strict hooks are registered for every primitive and container, unknown keys are
forbidden, and every failure is reported at its field path.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, TypeVar, get_args, get_origin

import attrs
from cattrs import Converter
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from pgx.io._yaml import PathKey
from pgx.model import ruleset as rs
from pgx.model.profile import FrozenDict

__all__ = ["converter", "errors_of", "structure"]

T = TypeVar("T")


class Located(Exception):
    """Failures below a value, each with the path step that leads to it."""

    def __init__(self, children: list[tuple[str | int, BaseException]]) -> None:
        super().__init__(f"{len(children)} problem(s)")
        self.children = children


def _describe(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"boolean {value!r}"
    if isinstance(value, int | float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _fail(expected: str, value: object) -> ValueError:
    return ValueError(f"expected {expected}, found {_describe(value)}")


def _str(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise _fail("a string", value)
    return value


def _int(value: object, _: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail("a whole number", value)
    return value


def _float(value: object, _: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail("a number", value)
    if not math.isfinite(value):
        # YAML's .nan/.inf are numbers to a parser but never a measurement
        raise _fail("a finite number", value)
    return float(value)


def _bool(value: object, _: object) -> bool:
    if not isinstance(value, bool):
        raise _fail("true or false", value)
    return value


def _is_literal(tp: object) -> bool:
    return get_origin(tp) is Literal


def _literal_factory(tp: object) -> Callable[[object, object], object]:
    allowed = get_args(tp)
    shown = ", ".join(repr(a) for a in allowed)

    def hook(value: object, _: object) -> object:
        if isinstance(value, bool) or value not in allowed:
            raise _fail(f"one of {shown}", value)
        return value

    return hook


def _is_var_tuple(tp: object) -> bool:
    args = get_args(tp)
    return get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_fixed_tuple(tp: object) -> bool:
    args = get_args(tp)
    return get_origin(tp) is tuple and not (len(args) == 2 and args[1] is Ellipsis)


def _is_dict(tp: object) -> bool:
    return get_origin(tp) in (dict, Mapping)


def _is_str_or_float(tp: object) -> bool:
    return tp == (str | float)


def _make_factories(conv: Converter) -> None:
    def var_tuple(tp: Any) -> Callable[[object, object], object]:
        (item_type, _) = get_args(tp)

        def hook(value: object, _: object) -> tuple[object, ...]:
            if not isinstance(value, list):
                raise _fail("a list", value)
            out: list[object] = []
            errors: list[tuple[str | int, BaseException]] = []
            for index, item in enumerate(value):
                try:
                    out.append(conv.structure(item, item_type))
                except Exception as exc:
                    errors.append((index, exc))
            if errors:
                raise Located(errors)
            return tuple(out)

        return hook

    def fixed_tuple(tp: Any) -> Callable[[object, object], object]:
        item_types = get_args(tp)

        def hook(value: object, _: object) -> tuple[object, ...]:
            if not isinstance(value, list) or len(value) != len(item_types):
                raise _fail(f"a list of {len(item_types)} items", value)
            errors: list[tuple[str | int, BaseException]] = []
            out: list[object] = []
            for index, (item, item_type) in enumerate(zip(value, item_types, strict=True)):
                try:
                    out.append(conv.structure(item, item_type))
                except Exception as exc:
                    errors.append((index, exc))
            if errors:
                raise Located(errors)
            return tuple(out)

        return hook

    def mapping(tp: Any) -> Callable[[object, object], object]:
        key_type, value_type = get_args(tp)
        # a Mapping-typed field is the profile model's read-only kind (`FrozenDict`)
        build: Callable[[dict[object, object]], object] = (
            dict if get_origin(tp) is dict else FrozenDict
        )

        def hook(value: object, _: object) -> object:
            if not isinstance(value, dict):
                raise _fail("a mapping", value)
            out: dict[object, object] = {}
            errors: list[tuple[str | int, BaseException]] = []
            for key, item in value.items():
                try:
                    k = conv.structure(key, key_type)
                    out[k] = conv.structure(item, value_type)
                except Exception as exc:
                    errors.append((str(key), exc))
            if errors:
                raise Located(errors)
            return build(out)

        return hook

    conv.register_structure_hook_factory(_is_var_tuple, var_tuple)
    conv.register_structure_hook_factory(_is_fixed_tuple, fixed_tuple)
    conv.register_structure_hook_factory(_is_dict, mapping)
    conv.register_structure_hook_factory(_is_literal, _literal_factory)


def _str_or_float(value: object, _: object) -> str | float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _fail("a string or a number", value)
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail("a finite number", value)
    return float(value) if isinstance(value, int) else value


def _renames(cls: type) -> dict[str, Any]:
    return {
        a.name: override(rename=a.name.rstrip("_"))
        for a in attrs.fields(cls)
        if a.name.endswith("_") and not a.name.startswith("_")
    }


def _attrs_structure(conv: Converter) -> None:
    def factory(cls: Any) -> Callable[[object, object], object]:
        inner = make_dict_structure_fn(
            cls,
            conv,
            _cattrs_forbid_extra_keys=True,
            _cattrs_detailed_validation=True,
            **_renames(cls),
        )

        def hook(value: object, tp: object) -> object:
            if not isinstance(value, dict):
                raise _fail("a mapping", value)
            return inner(value, tp)

        return hook

    def unstructure_factory(cls: Any) -> Callable[[object], object]:
        return make_dict_unstructure_fn(cls, conv, **_renames(cls))

    conv.register_structure_hook_factory(attrs.has, factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)


_COMBINATORS = ("all", "any", "not")


def _leaf_check(leaf: object) -> None:
    """Checks a leaf's fields together, where a single field's type cannot say enough."""
    if isinstance(leaf, rs.ActivityScoreLeaf | rs.LabLeaf) and (
        leaf.at_least is None and leaf.at_most is None
    ):
        raise ValueError("give at_least, at_most or both")
    if isinstance(leaf, rs.ExpressionLeaf):
        given = [x for x in (leaf.at_least, leaf.at_most, leaf.in_) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of at_least, at_most, in")
    if isinstance(leaf, rs.MedicationLeaf | rs.TherapyLeaf) and (
        (leaf.drug is None) == (leaf.class_ is None)
    ):
        raise ValueError("give exactly one of drug, class")
    if isinstance(leaf, rs.BiomarkerLeaf):
        numeric = leaf.at_least is not None or leaf.at_most is not None
        if numeric == (leaf.in_ is not None):
            raise ValueError("give either in, or at_least/at_most")
    if isinstance(leaf, rs.SomaticLeaf) and leaf.exon is not None and leaf.codon is not None:
        raise ValueError("give exon or codon, not both")
    low, high = getattr(leaf, "at_least", None), getattr(leaf, "at_most", None)
    if isinstance(low, float) and isinstance(high, float) and low > high:
        raise ValueError(f"at_least {low:g} is above at_most {high:g}: the rule could never fire")
    for field in attrs.fields(type(leaf)):  # type: ignore[arg-type]
        value = getattr(leaf, field.name)
        if isinstance(value, tuple) and not value:
            name = field.name.rstrip("_")
            raise ValueError(f"'{name}' is empty: give at least one value (or leave it out)")


def _list_shorthand(body: object, leaf_type: type) -> object:
    """``class: activating`` for ``class: [activating]`` (DESIGN §4 writes it that way)."""
    if not isinstance(body, dict):
        return body
    lists = {
        a.name.rstrip("_")
        for a in attrs.fields(leaf_type)
        if "tuple[" in str(a.type) and not a.name.startswith("_")
    }
    return {k: [v] if k in lists and isinstance(v, str) else v for k, v in body.items()}


def _condition_hook(conv: Converter) -> Callable[[object, object], rs.Condition]:
    def hook(value: object, _: object) -> rs.Condition:
        if not isinstance(value, dict) or len(value) != 1:
            keys = ", ".join([*_COMBINATORS, *rs.LEAF_KEYS])
            raise _fail(f"a mapping with exactly one key ({keys})", value)
        ((key, body),) = value.items()
        try:
            if key in ("all", "any"):
                parts = conv.structure(body, tuple[rs.Condition, ...])
                if not parts:
                    raise ValueError(f"'{key}' needs at least one condition")
                return rs.AllOf(parts) if key == "all" else rs.AnyOf(parts)
            if key == "not":
                return rs.Not(conv.structure(body, rs.Condition))  # type: ignore[arg-type]
            leaf_type = rs.LEAF_KEYS.get(key) if isinstance(key, str) else None
            if leaf_type is None:
                known = ", ".join([*_COMBINATORS, *rs.LEAF_KEYS])
                raise Located(
                    [(str(key), ValueError(f"unknown condition; expected one of {known}"))]
                )
            leaf = conv.structure(_list_shorthand(body, leaf_type), leaf_type)
            _leaf_check(leaf)
            return typing.cast("rs.Condition", leaf)
        except Located as exc:
            if key in rs.LEAF_KEYS or key in _COMBINATORS:
                raise Located([(key, exc)]) from None
            raise
        except Exception as exc:
            raise Located([(key, exc)]) from None

    return hook


def _regimen_check(conv: Converter) -> None:
    inner = make_dict_structure_fn(
        rs.Regimen, conv, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True
    )

    def hook(value: object, tp: object) -> rs.Regimen:
        if not isinstance(value, dict):
            raise _fail("a mapping", value)
        regimen = inner(value, tp)
        if (regimen.all_of is None) == (regimen.any_of is None):
            raise ValueError("give exactly one of all_of, any_of")
        return regimen

    conv.register_structure_hook(rs.Regimen, hook)


def _make() -> Converter:
    conv = Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(str, _str)
    conv.register_structure_hook(int, _int)
    conv.register_structure_hook(float, _float)
    conv.register_structure_hook(bool, _bool)
    conv.register_structure_hook_func(_is_str_or_float, _str_or_float)
    conv.register_structure_hook_func(lambda t: t is object, lambda v, _: v)
    _make_factories(conv)
    _attrs_structure(conv)
    conv.register_structure_hook_func(lambda t: t == rs.Condition, _condition_hook(conv))
    _regimen_check(conv)
    return conv


converter = _make()


def errors_of(exc: BaseException, path: PathKey = ()) -> Iterator[tuple[PathKey, str]]:
    """Walk a structuring failure into ``(path, message)`` pairs."""
    if isinstance(exc, Located):
        for where, child in exc.children:
            yield from errors_of(child, (*path, where))
    elif isinstance(exc, ClassValidationError | IterableValidationError):
        with_notes, without = exc.group_exceptions()
        step: str | int
        for child, note in with_notes:
            if isinstance(note, AttributeValidationNote):
                step = note.name.rstrip("_")
            elif isinstance(note, IterableValidationNote):
                step = note.index
            else:  # pragma: no cover - group_exceptions only returns these two
                step = str(note)
            yield from errors_of(child, (*path, step))
        for child in without:
            yield from errors_of(child, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields, key=str):
            yield (*path, key), f"unknown key '{key}'"
    elif isinstance(exc, KeyError):
        yield path, "required field missing"
    elif isinstance(exc, ValueError | TypeError):
        yield path, str(exc) or type(exc).__name__
    else:
        yield path, f"{type(exc).__name__}: {exc}"


def structure(data: object, cls: type[T]) -> tuple[T | None, list[tuple[PathKey, str]]]:
    """Structure ``data`` as ``cls``; returns the object or every problem with its path."""
    try:
        return conv_structure(data, cls), []
    except Exception as exc:
        return None, list(errors_of(exc))


def conv_structure(data: object, cls: type[T]) -> T:
    """Structure without catching (for values already validated)."""
    return converter.structure(data, cls)
