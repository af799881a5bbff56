"""Fetched days, kept in the data folder without ever shrinking one.

A day lives in ``digests/<source>/<date>.<ext>``, in a format the library
already reads, so fetched papers are found like any other digest:

* Hugging Face: ``<date>.json``, a JSON list of the records exactly as
  ``/api/daily_papers`` gives them (the ``hf-json`` format);
* arXiv RSS: ``<date>.xml``, an RSS 2.0 feed of arXiv's own items (``rss``);
* arXiv API: ``<date>.xml``, an Atom feed of the API's entries (``arxiv-atom``).

Merging a fetched day into a stored one keeps every record stored before: an
arXiv item replaces its stored self only when its version differs; a Hugging
Face record in the new answer replaces its old self field by field (upvotes,
comments and stars move on; a field the new answer lacks keeps its value; a
``withdrawnAt`` is kept like any field), and a record the new answer lacks
stays. The file is written atomically, under a lock per source folder, and not
at all when nothing changed (the bytes stay identical).
"""

from __future__ import annotations

import contextlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reader.fetch.result import NEW, UNCHANGED, UPDATED
from reader.fileio import atomic_write_text
from reader.fileio import locked as fileio_locked
from reader.formats.xmlsafe import XmlError, local, parse_xml
from reader.ids import arxiv_id

ATOM = "http://www.w3.org/2005/Atom"
NAMESPACES = {
    "atom": ATOM,
    "arxiv": "http://arxiv.org/schemas/atom",
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)


class StoreError(Exception):
    """A stored day that cannot be read: it is left alone, never overwritten."""


@dataclass
class Stored:
    status: str
    papers: int
    new: int
    path: Path


def source_dir(library_dir: Path, source: str) -> Path:
    return library_dir / source


def stored_days(folder: Path) -> list[str]:
    """The days stored in a source folder, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(
        p.stem for p in folder.iterdir() if p.suffix in (".json", ".xml") and _is_day(p.stem)
    )


def stored_count(folder: Path, day: str) -> int:
    """How many papers are stored for ``day`` (0: none, or not a day, or a
    stored file that cannot be read): what a day that failed or came back
    empty still holds."""
    if not _is_day(day):
        return 0
    for path in (folder / f"{day}.json", folder / f"{day}.xml"):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if path.suffix == ".json":
            try:
                data = json.loads(text)
            except ValueError:
                return 0
            return len(data) if isinstance(data, list) else 0
        try:
            return len(_items(parse_xml(text).root))
        except XmlError:
            return 0
    return 0


def _is_day(stem: str) -> bool:
    return len(stem) == 10 and stem[4] == "-" and stem[7] == "-" and stem.replace("-", "").isdigit()


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """One writer at a time per source folder (the app and cron may overlap)."""
    folder.mkdir(parents=True, exist_ok=True)
    with fileio_locked(folder / ".lock", timeout=None):
        yield


def _finish(path: Path, old: str | None, text: str, n_papers: int, n_new: int) -> Stored:
    if old is None and n_papers == 0:
        return Stored(UNCHANGED, 0, 0, path)  # never an empty day that hides nothing but says "new"
    if old == text:
        return Stored(UNCHANGED, n_papers, 0, path)
    atomic_write_text(path, text)
    return Stored(NEW if old is None else UPDATED, n_papers, n_new, path)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path}: cannot read the stored day ({exc}); left as it was") from None


# --------------------------------------------------------------------------- Hugging Face


def hf_key(record: Any) -> str | None:
    """A record's paper id (the arXiv id), or its title."""
    if not isinstance(record, dict):
        return None
    paper = record.get("paper")
    pid = paper.get("id") if isinstance(paper, dict) else None
    if isinstance(pid, str) and pid.strip():
        return pid.strip()
    title = record.get("title")
    return title.strip() if isinstance(title, str) and title.strip() else None


def merge_record(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` over ``old``, field by field, one level into nested objects
    (``paper``); a field ``new`` lacks or has as null keeps its old value."""
    out = dict(old)
    for key, value in new.items():
        if value is None and key in old:
            continue
        if isinstance(value, dict) and isinstance(old.get(key), dict):
            inner = dict(old[key])
            inner.update({k: v for k, v in value.items() if v is not None or k not in inner})
            out[key] = inner
        else:
            out[key] = value
    return out


def store_hf_day(folder: Path, day: str, records: list[dict[str, Any]]) -> Stored:
    path = folder / f"{day}.json"
    with locked(folder):
        old = _read(path)
        stored: list[Any] = []
        if old is not None:
            try:
                data = json.loads(old)
            except ValueError as exc:
                raise StoreError(
                    f"{path}: the stored day is not JSON ({exc}); left as it was"
                ) from None
            if not isinstance(data, list):
                raise StoreError(f"{path}: the stored day is not a list of papers; left as it was")
            stored = data
        index = {k: i for i, r in enumerate(stored) if (k := hf_key(r)) is not None}
        added = 0
        for rec in records:
            key = hf_key(rec)
            if key is not None and key in index:
                i = index[key]
                stored[i] = merge_record(stored[i], rec)
            else:
                if key is not None:
                    index[key] = len(stored)
                stored.append(rec)
                added += 1
        text = json.dumps(stored, ensure_ascii=False, indent=1) + "\n"
        return _finish(path, old, text, len(stored), added)


def hf_ids(folder: Path, day: str) -> set[str]:
    try:
        data = json.loads((folder / f"{day}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {k for r in data if (k := hf_key(r))} if isinstance(data, list) else set()


# --------------------------------------------------------------------------- arXiv (XML)


def item_key(el: ET.Element) -> str | None:
    """The arXiv id (no version) of an RSS item or an Atom entry."""
    for child in el:
        if local(child.tag) in ("guid", "id", "link"):
            aid = arxiv_id(child.text or "")
            if aid:
                return aid
    return None


def _version(el: ET.Element) -> str:
    """The versioned id (``oai:arXiv.org:2612.00101v2``, ``.../abs/2612.00101v2``)."""
    for child in el:
        if local(child.tag) in ("guid", "id"):
            return (child.text or "").strip()
    return ""


def xml_ids(path: Path) -> set[str]:
    try:
        root = parse_xml(path.read_text(encoding="utf-8")).root
    except (OSError, UnicodeDecodeError, XmlError):
        return set()
    return {k for el in _items(root) if (k := item_key(el))}


def _items(root: ET.Element) -> list[ET.Element]:
    holder = _holder(root)
    name = "item" if local(root.tag) == "rss" else "entry"
    return [el for el in holder if local(el.tag) == name]


def _holder(root: ET.Element) -> ET.Element:
    """Where the items live: the RSS ``<channel>``, or the Atom ``<feed>``."""
    if local(root.tag) == "rss":
        for el in root:
            if local(el.tag) == "channel":
                return el
    return root


def store_xml_day(folder: Path, day: str, feed: ET.Element, items: list[ET.Element]) -> Stored:
    """Merge ``items`` (RSS items or Atom entries) into ``<day>.xml``. ``feed`` is
    the answer's root, whose head (title, dates) is used for a day not yet
    stored; a stored day keeps its own head."""
    path = folder / f"{day}.xml"
    with locked(folder):
        old = _read(path)
        if old is not None:
            try:
                root = parse_xml(old).root
            except XmlError as exc:
                raise StoreError(
                    f"{path}: the stored day is not readable XML ({exc.message}); left as it was"
                ) from None
        else:
            root = _empty_like(feed, day)
        holder = _holder(root)
        existing = [el for el in _items(root)]
        for el in existing:
            holder.remove(el)
        merged: dict[str, ET.Element] = {}
        loose: list[ET.Element] = []
        for el in existing:
            key = item_key(el)
            if key is None:
                loose.append(el)
            else:
                merged[key] = el
        added = 0
        for el in items:
            key = item_key(el)
            if key is None:
                loose.append(el)
                added += 1
                continue
            if key not in merged:
                added += 1
            elif _version(merged[key]) == _version(el):
                continue  # the same version again: keep the stored item, bytes and all
            merged[key] = el
        for el in [*merged.values(), *loose]:
            holder.append(el)
        _tidy(root)
        text = (
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            + ET.tostring(root, encoding="unicode")
            + "\n"
        )
        return _finish(path, old, text, len(merged) + len(loose), added)


def _empty_like(feed: ET.Element, day: str) -> ET.Element:
    """A copy of the answer's root without its items; an Atom feed is dated
    ``day`` (the Atom format dates its papers by the feed's ``updated``)."""
    root = ET.Element(feed.tag, dict(feed.attrib))
    is_rss = local(feed.tag) == "rss"
    for el in feed:
        if is_rss and local(el.tag) == "channel":
            channel = ET.SubElement(root, el.tag, dict(el.attrib))
            for c in el:
                if local(c.tag) != "item":
                    channel.append(c)
        elif not is_rss and local(el.tag) != "entry":
            root.append(el)
    if not is_rss:
        for el in root:
            if local(el.tag) == "updated":
                el.text = f"{day}T00:00:00Z"
    return root


def _tidy(root: ET.Element) -> None:
    """Even indentation, so a stored day is readable and diffs stay small."""
    ET.indent(root, space=" ")
