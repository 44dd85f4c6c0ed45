"""Reading a configuration file (sources, topic) so that whatever is wrong with it ends as one
line naming the file, never a traceback: not UTF-8, UTF-16, not TOML, nested too deeply."""

from __future__ import annotations

import codecs
import os
import tomllib
from pathlib import Path

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_text(path: str | os.PathLike, kind: str, error: type[ValueError]) -> str:
    """The file's text, decoded as UTF-8 (a UTF-8 byte order mark is dropped); ``error`` with
    the file's name when it cannot be read or is in another encoding."""
    return decode(read_bytes(path, kind, error), path, kind, error)


def read_bytes(path: str | os.PathLike, kind: str, error: type[ValueError]) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise error(f"cannot read {kind} file {path}: {exc.strerror}") from exc


def decode(data: bytes, path: str | os.PathLike, kind: str, error: type[ValueError]) -> str:
    """``data``, the bytes of the ``kind`` file ``path``, as text: read_text's decoding."""
    if data.startswith(_UTF16_BOMS):
        raise error(f"{path}: the {kind} file is UTF-16 text; save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            f"{path}: the {kind} file is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None


def read_toml(text: str, origin: str, error: type[ValueError]) -> dict:
    """The TOML document ``text``; ``error`` naming ``origin`` when it is not TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{origin} is not valid TOML: {exc}") from exc
    except RecursionError:  # arrays or inline tables nested thousands deep
        raise error(f"{origin} is not valid TOML: nested too deeply") from None
