"""A flat output serializer applied to plain rows, without DRF's machinery per value.

The output serializers (api.serializers) say what a row of a list is, and the OpenAPI schema
is generated from them. DRF looks up and converts every value of every row through several
calls (``get_attribute``, the field's fallbacks, ``to_representation``), and a list of a
few thousand rows read as model instances costs more to build and serialize than to query.
:class:`PlainRows` compiles a serializer once into (name, key, conversion) and applies it to
rows that are mappings: read with ``.values(*plain.lookups)`` (a dotted source
``municipality.name`` is the key ``municipality__name``), or built as dicts by a selector.

The output is the serializer's: the same keys in the same order, ``None`` kept as ``None``,
each value converted by the field's own ``to_representation`` (``int``, ``float`` and
``str`` called directly where that is all the field does), and a key missing from a row
treated as DRF treats a missing attribute (the field's default, else ``None`` if it allows
null, else left out if it is not required). A ``ListField`` or ``DictField`` converts its
children likewise (a flat serializer's as rows). A serializer that reshapes its output
does so in a static ``shape_row(data)``, which its ``to_representation`` and this module
both apply. Other nested serializers, method fields and sources of ``*`` are not flat:
compiling such a serializer is an error, so it is never half-applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rest_framework import fields as drf_fields
from rest_framework import serializers

_EXACT: dict[type, Callable[[Any], Any]] = {
    drf_fields.IntegerField: int,
    drf_fields.FloatField: float,
    drf_fields.CharField: str,
}
_MISSING = object()
_SKIP = object()


def _nested(field: Any) -> bool:
    return isinstance(
        field,
        serializers.BaseSerializer | drf_fields.SerializerMethodField | drf_fields.HiddenField,
    )


class PlainRows:
    """``serializer_class(rows, many=True).data`` for mappings, as a list of dicts.

    ``lookups`` are the keys each row needs, in field order (for ``.values()``).
    """

    def __init__(self, serializer_class: type[serializers.Serializer]) -> None:
        name_of = serializer_class.__name__
        self.shape_row: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(
            serializer_class, "shape_row", None
        )
        own = serializer_class.to_representation is not serializers.Serializer.to_representation
        if own and self.shape_row is None:
            raise TypeError(f"{name_of} reshapes its output without a shape_row")
        columns: list[tuple[str, str, Callable[[Any], Any], drf_fields.Field]] = []
        for name, field in serializer_class().fields.items():
            if field.write_only:
                continue
            if _nested(field) or field.source == "*":
                raise TypeError(f"{name_of}.{name} is not a flat field")
            convert = _converter(field, f"{name_of}.{name}")
            columns.append((name, "__".join(field.source_attrs), convert, field))
        self._columns = columns
        self.lookups: tuple[str, ...] = tuple(dict.fromkeys(key for _, key, _, _ in columns))

    def one(self, row: Mapping[str, Any]) -> dict[str, Any]:
        item: dict[str, Any] = {}
        for name, key, convert, field in self._columns:
            value = row.get(key, _MISSING)
            if value is _MISSING:
                value = _absent(field, key)
                if value is _SKIP:
                    continue
            item[name] = None if value is None else convert(value)
        return item if self.shape_row is None else self.shape_row(item)

    def __call__(self, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [self.one(row) for row in rows]


def _converter(field: drf_fields.Field, where: str) -> Callable[[Any], Any]:
    """``field.to_representation`` for a value that is not None, as a plain function: the
    builtin where that is all the field does; for a ``ListField`` or a ``DictField``, its
    children converted the same way (None stays None), a flat serializer's as rows."""
    exact = _EXACT.get(type(field))
    if exact is not None:
        return exact
    if type(field) not in (drf_fields.ListField, drf_fields.DictField):
        return field.to_representation
    child: Any = field.child
    each: Callable[[Any], Any] | None
    if isinstance(child, serializers.Serializer):
        each = PlainRows(type(child)).one
    elif _nested(child):
        raise TypeError(f"{where} is not a flat field")
    elif type(child) is drf_fields._UnvalidatedField:
        each = None  # it hands values on as they are
    else:
        each = _converter(child, where)
    if type(field) is drf_fields.ListField:
        return list if each is None else _list_of(each)
    return _dict_of(each)


def _list_of(each: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    return lambda data: [None if item is None else each(item) for item in data]


def _dict_of(each: Callable[[Any], Any] | None) -> Callable[[Mapping[Any, Any]], dict[str, Any]]:
    if each is None:
        return lambda value: {str(k): v for k, v in value.items()}
    return lambda value: {str(k): None if v is None else each(v) for k, v in value.items()}


def _absent(field: drf_fields.Field, key: str) -> Any:
    """What DRF makes of a field whose attribute is missing (Field.get_attribute)."""
    if field.default is not drf_fields.empty:
        return field.get_default()
    if field.allow_null:
        return None
    if not field.required:
        return _SKIP
    raise KeyError(key)


_COMPILED: dict[type, PlainRows] = {}


def plain(serializer_class: type[serializers.Serializer]) -> PlainRows:
    """The compiled :class:`PlainRows` of ``serializer_class`` (compiled once per process)."""
    found = _COMPILED.get(serializer_class)
    if found is None:
        found = _COMPILED[serializer_class] = PlainRows(serializer_class)
    return found
