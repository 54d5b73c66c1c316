"""Plain Python data to wasmtime-py's component values and back, guided by
the function's own WIT types (wasmtime-py reflects them).

wasmtime-py leaves a `variant`, `option` or `result` untagged when its cases
can be told apart by Python class, so the same WIT type comes back as a bare
value or as a `Variant` depending on its cases. The kit hides that: callers
see one representation for every type.

| WIT | Python |
| --- | --- |
| record | `WitRecord` (a dict) keyed by field name in snake_case; kebab-case accepted on input |
| variant | `WitVariant` (a dict) `{"tag": "case-name", "val": payload}` (no `val` for a case without payload) |
| enum | `str`, the case name |
| option | `None` or the value |
| result | the ok value; the err value is raised by the kit as a typed error |
| list<u8> | `bytes` |
| list, tuple | `list`, `tuple` |
| flags | `set` of names |

`repr()` of a record or a variant never shows a secret: the fields and cases
in `SECRET_FIELDS` print as `[redacted]`.
"""

from wasmtime.component import (
    U8,
    BorrowType,
    EnumType,
    FlagsType,
    ListType,
    OptionType,
    OwnType,
    Record,
    RecordType,
    ResultType,
    TupleType,
    Variant,
    VariantType,
)

#: Field (and variant case) names whose value is a secret, in snake_case.
SECRET_FIELDS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "secret",
        "pkce_verifier",
        "device_code",
        "client_secret",
        "token",
        "password",
    }
)
REDACTED = "[redacted]"


def snake(name: str) -> str:
    return name.replace("-", "_")


class WitRecord(dict):
    """A WIT record: a dict keyed by snake_case field names."""

    def __repr__(self):
        shown = ", ".join(
            f"{key!r}: {REDACTED if key in SECRET_FIELDS and value is not None else repr(value)}"
            for key, value in self.items()
        )
        return "{" + shown + "}"

    __str__ = __repr__


class WitVariant(dict):
    """A WIT variant case: `{"tag": name, "val": payload}`."""

    @property
    def tag(self):
        return self["tag"]

    @property
    def val(self):
        return self.get("val")

    def __repr__(self):
        if "val" not in self:
            return f"{{'tag': {self['tag']!r}}}"
        val = REDACTED if snake(self["tag"]) in SECRET_FIELDS else repr(self["val"])
        return f"{{'tag': {self['tag']!r}, 'val': {val}}}"

    __str__ = __repr__


def _cases(ty):
    if isinstance(ty, VariantType):
        return list(ty.cases)
    if isinstance(ty, OptionType):
        return [("none", None), ("some", ty.payload)]
    if isinstance(ty, ResultType):
        return [("ok", ty.ok), ("err", ty.err)]
    raise TypeError(ty)


def _tagged(ty) -> bool:
    """Whether wasmtime-py represents this variant-like type as `Variant`
    (its cases share a Python class), as its own lowering decides."""
    seen = set()
    for _, case_ty in _cases(ty):
        classes = set()
        if case_ty is None:
            classes.add(object)
        else:
            case_ty.add_classes(classes)
        if classes & seen:
            return True
        seen |= classes
    return False


def _case_of(ty, value):
    """(case name, payload) of an untagged variant-like value."""
    for name, case_ty in _cases(ty):
        if case_ty is None:
            if value is None:
                return name, None
            continue
        classes = set()
        case_ty.add_classes(classes)
        if isinstance(value, tuple(classes)):
            return name, value
    raise ValueError(f"no case of the type holds {type(value).__name__}")


def _fields(data, fields):
    """The values of a record's `fields` from `data`, keyed by snake_case or
    kebab-case names; a missing or an unknown key is an error (a typo never
    goes unnoticed)."""
    given = {snake(key): value for key, value in data.items()}
    names = [snake(name) for name, _ in fields]
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ValueError(f"unknown field(s) {unknown}; the record has {names}")
    missing = [name for name in names if name not in given]
    if missing:
        raise ValueError(f"missing field(s) {missing}")
    return [given[name] for name in names]


def lower(ty, data):
    """Plain `data` as the value wasmtime-py lowers for `ty`."""
    if isinstance(ty, RecordType):
        if not isinstance(data, dict):
            raise TypeError(f"expected a dict for a record, got {type(data).__name__}")
        record = Record()
        fields = ty.fields
        for (name, field_ty), value in zip(fields, _fields(data, fields), strict=True):
            setattr(record, name, lower(field_ty, value))
        return record
    if isinstance(ty, ListType):
        if isinstance(ty.element, U8):
            return bytes(data)
        return [lower(ty.element, item) for item in data]
    if isinstance(ty, TupleType):
        return tuple(lower(t, item) for t, item in zip(ty.elements, data, strict=True))
    if isinstance(ty, EnumType):
        if data not in ty.names:
            raise ValueError(f"{data!r} is not one of {ty.names}")
        return data
    if isinstance(ty, FlagsType):
        return set(data)
    if isinstance(ty, OptionType):
        if data is None:
            return Variant("none") if _tagged(ty) else None
        payload = lower(ty.payload, data)
        return Variant("some", payload) if _tagged(ty) else payload
    if isinstance(ty, (VariantType, ResultType)):
        if isinstance(ty, ResultType):
            raise TypeError("a result is never an argument here")
        if not isinstance(data, dict) or "tag" not in data or set(data) - {"tag", "val"}:
            raise ValueError('expected a variant {"tag": case, "val": payload}')
        tag = data["tag"]
        case_ty = dict(_cases(ty)).get(tag, KeyError)
        if case_ty is KeyError:
            raise ValueError(f"{tag!r} is not a case of the variant")
        if (case_ty is None) == ("val" in data):
            raise ValueError(f"case {tag!r} {'has no' if case_ty is None else 'needs a'} payload")
        payload = None if case_ty is None else lower(case_ty, data["val"])
        if _tagged(ty):
            return Variant(tag, payload) if case_ty is not None else Variant(tag)
        return payload
    if isinstance(ty, (OwnType, BorrowType)):
        return data
    return data


def lift(ty, value):
    """wasmtime-py's `value` of type `ty` as plain data; a result becomes
    `("ok", value)` or `("err", value)`."""
    if isinstance(ty, RecordType):
        return WitRecord((snake(name), lift(field_ty, getattr(value, name))) for name, field_ty in ty.fields)
    if isinstance(ty, ListType):
        if isinstance(ty.element, U8):
            return bytes(value)
        return [lift(ty.element, item) for item in value]
    if isinstance(ty, TupleType):
        return tuple(lift(t, item) for t, item in zip(ty.elements, value, strict=True))
    if isinstance(ty, (VariantType, OptionType, ResultType)):
        if _tagged(ty):
            tag, payload = value.tag, value.payload
        else:
            tag, payload = _case_of(ty, value)
        case_ty = dict(_cases(ty))[tag]
        payload = None if case_ty is None else lift(case_ty, payload)
        if isinstance(ty, OptionType):
            return payload
        if isinstance(ty, ResultType):
            return tag, payload
        return WitVariant(tag=tag) if case_ty is None else WitVariant(tag=tag, val=payload)
    if isinstance(ty, FlagsType):
        return set(value)
    return value
