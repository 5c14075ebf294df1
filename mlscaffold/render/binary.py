"""Text or binary: a port of npm isbinaryfile 5.0.7, which fetch:template uses."""

from __future__ import annotations

from typing import Final

__all__ = ["READ_BYTES", "is_binary"]

# isbinaryfile 5.0.7 reads 512 bytes plus 3 so a UTF-8 sequence cut at 512 is whole.
_MAX_BYTES: Final = 512
READ_BYTES: Final = _MAX_BYTES + 3
_TEXT_BOMS: Final = (
    b"\xef\xbb\xbf",
    b"\x00\x00\xfe\xff",
    b"\xff\xfe\x00\x00",
    b"\x84\x31\x95\x33",
)


def _proto_varint(buf: bytes, pos: int, size: int) -> tuple[int, int, bool]:
    """Read a protobuf varint with JavaScript's 32-bit ``|`` and ``<<``."""
    value, idx = 0, 0
    while True:
        if pos >= size:
            return value, pos, True
        byte = buf[pos]
        pos += 1
        value = (value | ((byte & 0x7F) << ((7 * idx) % 32))) & 0xFFFFFFFF
        if not byte & 0x80:
            break
        if idx >= 10:
            return value, pos, True
        idx += 1
    return (value - (1 << 32) if value & 0x80000000 else value), pos, False


def _is_binary_proto(buf: bytes, size: int) -> bool:
    pos, messages = 0, 0
    while True:
        key, pos, error = _proto_varint(buf, pos, size)
        if not error:
            wire = key & 0x7
            if wire == 0:
                _, pos, error = _proto_varint(buf, pos, size)
            elif wire in (1, 2, 5):
                length = 8 if wire == 1 else 4
                if wire == 2:
                    length, pos, error = _proto_varint(buf, pos, size)
                if not error and length > 0:
                    error = pos + length > size
                    pos = min(pos + length, size)
            else:
                return False
        if error:
            return messages > 0
        messages += 1


def is_binary(head: bytes) -> bool:  # noqa: C901 - mirrors the upstream algorithm
    """Tell text from binary exactly as npm isbinaryfile 5.0.7 does.

    Args:
        head: The first 515 bytes (or the whole file when shorter).

    Returns:
        True for a NUL byte, a ``%PDF-`` header, more than 10 % suspicious bytes in
        the first 512, or a protobuf-looking file; False for BOMs and empty files.
    """
    total = min(len(head), READ_BYTES)
    if total == 0 or head.startswith(_TEXT_BOMS):
        return False
    if head.startswith(b"%PDF-"):
        return True
    if head.startswith((b"\xfe\xff", b"\xff\xfe")):
        return False
    scan = min(total, _MAX_BYTES)
    suspicious = 0
    i = 0
    while i < scan:
        byte = head[i]
        if byte == 0:
            return True
        if (byte < 7 or byte > 14) and (byte < 32 or byte > 127):
            follow = 1 if 0xC0 <= byte <= 0xDF else 2 if 0xE0 <= byte <= 0xEF else 0
            follow = 3 if 0xF0 <= byte <= 0xF7 else follow
            if follow and i + follow < total:
                i += 1
                if all(0x80 <= b <= 0xBF for b in head[i : i + follow]):
                    i += follow
                    continue
            suspicious += 1
            if i >= 32 and suspicious * 100 / scan > 10:
                return True
        i += 1
    if suspicious * 100 / scan > 10:
        return True
    return suspicious > 1 and _is_binary_proto(head, scan)
