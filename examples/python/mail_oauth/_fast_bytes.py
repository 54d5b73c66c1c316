"""A faster `list<u8>` for wasmtime-py 50: its ListType converts bytes one
element at a time through ctypes (about 1 µs a byte, the largest cost of a
token refresh through the kit). This converts the whole list with two slice
assignments over the C array instead. Same values, same ownership: the list
is made with `wasmtime_component_vallist_new_uninit` and filled, or read and
deleted, exactly as wasmtime-py does. Installed only on the wasmtime-py
version it was written against, and checked against wasmtime-py's own
conversion by test_kit.py."""

import ctypes
from importlib import metadata

from wasmtime import _ffi as ffi
from wasmtime.component import U8, ListType

VERSION = "50.0.1"
_SIZE = ctypes.sizeof(ffi.wasmtime_component_val_t)
_KIND = ffi.wasmtime_component_val_t.kind.offset
_OF = ffi.wasmtime_component_val_t.of.offset  # a union: `u8` is its first byte
_U8 = ffi.WASMTIME_COMPONENT_U8.value
_LIST = ffi.WASMTIME_COMPONENT_LIST

_original_to_c = ListType.convert_to_c
_original_from_c = ListType.convert_from_c


def _to_c(self, store, val, ptr):
    if not isinstance(self.element, U8) or not isinstance(val, (bytes, bytearray)):
        return _original_to_c(self, store, val, ptr)
    n = len(val)
    raw = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(raw, n)
    if n:
        image = bytearray(_SIZE * n)
        image[_KIND::_SIZE] = bytes([_U8]) * n
        image[_OF::_SIZE] = val
        ctypes.memmove(raw.data, bytes(image), len(image))
    ptr.contents.kind = _LIST
    ptr.contents.of.list = raw
    return None


def _from_c(self, c):
    if not isinstance(self.element, U8):
        return _original_from_c(self, c)
    if c.kind != _LIST.value:
        raise TypeError("a list<u8> value is not a list")
    lst = c.of.list
    try:
        if not lst.size:
            return b""
        image = ctypes.string_at(lst.data, _SIZE * lst.size)
        if any(kind != _U8 for kind in image[_KIND::_SIZE]):
            raise TypeError("a list<u8> holds a value that is not a u8")
        return image[_OF::_SIZE]
    finally:
        ffi.wasmtime_component_vallist_delete(ctypes.byref(lst))


def install() -> bool:
    """Installs the fast conversion when wasmtime-py is the version it was
    written for; returns whether it did."""
    try:
        if metadata.version("wasmtime") != VERSION:
            return False
    except metadata.PackageNotFoundError:
        return False
    ListType.convert_to_c = _to_c
    ListType.convert_from_c = _from_c
    return True
