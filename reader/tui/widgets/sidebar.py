"""The sidebar: digest days, the user's tags, saved searches and remembered
sources, each with its count (a day also with its unread papers, ``●3``, or
``✓`` when all are read); choosing one filters the list; ``x`` on a source
asks to forget it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from reader.tui import text as tx
from reader.wording import number

if TYPE_CHECKING:  # the engine loads Whoosh: not before the first screen
    from reader.search.engine import Count


@dataclass(frozen=True)
class Entry:
    """One choice: ``kind`` is ``all``, ``day``, ``tag``, ``starred``, ``saved``
    or ``source``; ``value`` the day, tag, saved-search name or source path."""

    kind: str
    value: str
    label: str
    count: int | None
    #: Days: how many of its papers are unread (None: not counted).
    unread: int | None = None
    #: False when ``count`` is an estimate (shown as "about N").
    exact: bool = True


class Sidebar(OptionList):
    """Days, tags and saved searches. Enter chooses."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="sidebar-down"),
        Binding("k", "cursor_up", "Up", show=False, id="sidebar-up"),
        Binding("x,delete", "forget", "Forget source", show=False, id="sidebar-forget"),
    ]

    DEFAULT_CSS = """
    Sidebar { width: 28; height: 1fr; border: none; border-right: vkey $border; padding: 0; }
    """

    @dataclass
    class Chosen(Message):
        entry: Entry

    @dataclass
    class ForgetAsked(Message):
        """``x`` on a remembered source: the app asks, then forgets it."""

        entry: Entry

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.entries: dict[str, Entry] = {}
        #: The last :meth:`fill`'s arguments, to fill again on a resize.
        self._filled: tuple[Any, ...] | None = None

    def fill(
        self,
        total: int,
        starred: int,
        days: Iterable[tuple[str, int, int]],
        tags: Iterable[tuple[str, int]],
        saved: Iterable[tuple[str, Count | None]],
        sources: Iterable[tuple[str, str, int | None]] = (),
    ) -> None:
        """Replace the choices, keeping the highlighted one when it still
        exists. ``days``: ``(day, papers, unread)``."""
        keep = None
        if self.highlighted is not None:
            keep = self.get_option_at_index(self.highlighted).id
        self.entries.clear()
        options: list[Option | None] = []

        self._filled = (total, starred, list(days), list(tags), list(saved), list(sources))
        total, starred, days, tags, saved, sources = self._filled
        room = self._room()

        def add(entry: Entry) -> None:
            key = f"{entry.kind}:{entry.value}"
            self.entries[key] = entry
            name = entry.label
            count = f" {number(entry.count, entry.exact)}" if entry.count is not None else ""
            mark, mark_style = "", "dim"
            if entry.unread:
                mark, mark_style = f" ●{number(entry.unread)}", "bold"
            elif entry.unread == 0 and entry.count:
                mark = " ✓"
            if mark and room and cell_len(name + count + mark) > room:
                # A narrow sidebar (80 columns): a big day's counts would
                # break onto a row of their own. Its indent goes first, then
                # its total (the unread count is what the row is for).
                name = name.lstrip()
                if cell_len(name + count + mark) > room:
                    count = ""
            if room and cell_len(name + count + mark) > room:
                # A long tag or saved search: its name is cut (by the columns
                # it takes: a CJK letter is two), never its count.
                keep = max(1, room - cell_len(count + mark) - 1)
                name = set_cell_size(name, keep).rstrip() + "…"
            label = Text(name, no_wrap=True, overflow="ellipsis")
            label.append(count, style="dim")
            label.append(mark, style=mark_style)
            options.append(Option(label, id=key))

        def header(title: str) -> None:
            options.append(Option(Text(title, style="bold"), disabled=True))

        add(Entry("all", "", "All papers", total))
        add(Entry("starred", "", "★ Starred", starred))
        saved = list(saved)
        if saved:
            header("Saved searches")
            for name, found in saved:
                n, exact = (found.n, found.exact) if found is not None else (None, True)
                add(Entry("saved", name, "  " + tx.line(name), n, exact=exact))
        tags = list(tags)
        if tags:
            header("Tags")
            for tag, count in tags:
                add(Entry("tag", tag, "  #" + tx.line(tag), count))
        sources = list(sources)
        if sources:
            header("Sources (x forgets)")
            for path, label, papers in sources:
                add(Entry("source", path, "  " + tx.line(label), papers))
        header("Days")
        for day, count, unread in days:
            add(Entry("day", day, "  " + tx.line(day), count, unread))
        self.set_options(options)
        if keep is not None and keep in self.entries:
            self.highlighted = self.get_option_index(keep)
        elif self.option_count:
            self.highlighted = 0

    def _room(self) -> int:
        """The columns a row has (0 before the first layout), the vertical
        scrollbar counted as shown."""
        width = self.content_region.width
        if width <= 0:
            return 0
        return max(0, width - self.styles.scrollbar_size_vertical)

    def on_resize(self) -> None:
        # The room of each row changed (the terminal went narrow or wide).
        if self._filled is not None:
            self.fill(*self._filled)

    def action_forget(self) -> None:
        if self.highlighted is None:
            return
        entry = self.entries.get(self.get_option_at_index(self.highlighted).id or "")
        if entry is not None and entry.kind == "source":
            self.post_message(self.ForgetAsked(entry))
        else:
            self.notify("Only a remembered source (under Sources) can be forgotten.")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        entry = self.entries.get(event.option.id or "")
        if entry is not None:
            self.post_message(self.Chosen(entry))
