"""Byte-reproducible archives and small shared helpers for the exporters."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

from lxml import etree

FIXED_DATE = (2020, 1, 1, 0, 0, 0)  # zip entries carry this date, whatever today is
FIXED_MTIME = 1577836800  # 2020-01-01T00:00:00Z, for tar entries and the gzip header


def zip_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    """A zip of ``entries`` in the given order, with fixed dates and permissions."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, data, compresslevel=9)
    return buf.getvalue()


def targz_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    """A .tar.gz of ``entries`` in the given order, with fixed times and owners."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), FIXED_MTIME, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tf.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=FIXED_MTIME, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def xml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def unwrap(text: str) -> str:
    """Collapse the bank's hard-wrapped text into one line."""
    return " ".join(text.split())
