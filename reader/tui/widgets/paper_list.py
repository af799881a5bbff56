"""The paper list: a Line-API ``ScrollView`` that draws only the visible rows.

``OptionList``/``DataTable`` measure every row before the first paint (about
5 s at 100k papers); this list renders a row when it scrolls into view and
keeps the rendered strips in an LRU cache keyed by (row, width, cursor, focus,
version), where ``version`` changes whenever the rows, the user's state or the
highlighted search terms change.

A list in date order has a separator row above each day's papers. The cursor
counts papers, never separators: two index tables made once per list (paper
to row, row to paper or day) keep a move O(1) at any length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from math import ceil
from typing import ClassVar, Literal, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from reader import views
from reader.model import Paper
from reader.paper_rows import PaperRows, ids_of, list_row
from reader.release import release
from reader.state import PaperState
from reader.tui import text as tx
from reader.tui.textual_private import (
    clear_row_styles,
    scroll_update,
    style_ahead,
    use_row_styles_cache,
)
from reader.wording import upvotes

#: ``state_of(paper_id)``: the user's stars, tags, read mark and note of a paper.
StateOf = Callable[[str], PaperState]


class PaperList(ScrollView, can_focus=True, inherit_bindings=False):
    """The list of papers of the current view; one row per paper."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "paper-list--cursor",
        "paper-list--cursor-blurred",
        "paper-list--unread",
        "paper-list--read",
        "paper-list--star",
        "paper-list--tag",
        "paper-list--meta",
        "paper-list--match",
        "paper-list--empty",
        "paper-list--day",
        "paper-list--note",
    }

    DEFAULT_CSS = """
    PaperList {
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
    }
    PaperList > .paper-list--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    PaperList > .paper-list--cursor-blurred { background: $block-cursor-blurred-background; }
    PaperList > .paper-list--unread { text-style: bold; }
    PaperList > .paper-list--read { color: $text-muted; }
    PaperList > .paper-list--star { color: $warning; }
    PaperList > .paper-list--tag { color: $secondary; }
    PaperList > .paper-list--meta { color: $text-muted; }
    PaperList > .paper-list--match { text-style: bold underline; color: $accent; }
    PaperList > .paper-list--empty { color: $text-muted; text-style: italic; }
    PaperList > .paper-list--day { color: $primary; text-style: bold; }
    PaperList > .paper-list--note { color: $accent; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False, repaint=False)
    """Index of the selected row (``watch_cursor`` repaints the two rows
    that changed, or the scroll repaints the list)."""

    @dataclass
    class Highlighted(Message):
        """The cursor moved to paper ``index`` of ``papers`` (the list's rows then)."""

        paper_list: PaperList
        papers: Sequence[Paper]
        index: int

        @property
        def paper(self) -> Paper | None:
            """The paper highlighted (None: an empty list), read when asked:
            over the catalog a paper is read whole, and a search's results
            are painted before the abstract pane shows one."""
            if 0 <= self.index < len(self.papers):
                return self.papers[self.index]
            return None

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, PaperList.Highlighted)

    def __init__(
        self,
        state_of: StateOf,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.state_of = state_of
        """Looks up the user's state of a paper."""
        self.papers: Sequence[Paper] = ()
        """The rows, in order."""
        self.terms: list[str] = []
        """Search terms highlighted in titles."""
        self.empty_text = "No papers here."
        """What the list says when it has no rows."""
        self.version = 0
        """Bumped when the styles change (theme, focus rules); part of the cache key."""
        self.order = ""
        """The list's order (``reader.views`` names); its column is never dropped."""
        self.runs: list[views.DayRun] = []
        """The days of the list, in order (empty: no separators)."""
        self.day_sizes: Mapping[str, int] = {}
        """Each day's own count (a list of every paper), for the separators."""
        self._row_of: Sequence[int] | None = None
        """Paper index -> row (None: no separators, the same number)."""
        self._at_row: Sequence[int] | None = None
        """Row -> paper index, or ``-1 - k`` for the separator of run ``k``."""
        self._cache: LRUCache[RowLook, Strip] = LRUCache(1024)
        """Rendered rows by what they show (see the module docs)."""
        self._drawn: dict[int, Strip] = {}
        """Line on screen -> the strip ``render_line`` last gave for it."""
        self._titles: LRUCache[str, str] = LRUCache(4096)
        self._styles: dict[tuple[str, bool], Style] = {}
        self._palettes: dict[tuple[bool, bool, bool], tuple[Style, ...]] = {}
        self._spans: LRUCache[tuple[str, tuple[str, ...]], tuple[tuple[int, int], ...]]
        self._spans = LRUCache(4096)
        """(title, terms) -> where the terms match in it (a row's look is
        asked once to compare it with the screen, once to draw it)."""
        use_row_styles_cache(self)
        self._known_rows: list[tuple[Sequence[Paper], views.DayRows | None]] = []
        """The separator tables of the last lists shown, by list (identity)."""
        self._known_positions: tuple[Sequence[Paper], dict[str, int]] | None = None
        self._going_down = True
        """The way the cursor last moved (for :meth:`draw_ahead`)."""
        self._drawn_ahead: tuple[object, ...] | None = None
        """What the page drawn ahead last was drawn for."""

    # -- data ---------------------------------------------------------------

    @property
    def current(self) -> Paper | None:
        """The paper under the cursor."""
        if 0 <= self.cursor < len(self.papers):
            return self.papers[self.cursor]
        return None

    def set_papers(
        self,
        papers: Sequence[Paper],
        *,
        terms: Sequence[str] = (),
        keep: str | None = None,
        cursor: int = 0,
        order: str = "",
        separators: bool = False,
        day_sizes: Mapping[str, int] | None = None,
        rows: views.DayRows | None = None,
        stay: bool = False,
    ) -> None:
        """Show ``papers`` (in ``order``; ``separators``: a row above each
        day; ``day_sizes``: each day's own count, for a list of every paper:
        the row then says how many of the day are under a later day); the
        cursor goes to paper id ``keep`` when present, else to index ``cursor``.

        Nothing here is done per paper beyond the window, except the day
        separators' tables: ``rows`` (``views.day_rows(papers)``, made off the
        event loop) or the ones made for this same list before are used, else
        they are made once (a list of every paper: ~0.1 s at 91k papers).
        ``stay``: the cursor's paper keeps its line on screen (a list taken in
        again under a reader, after a fetch), rather than a third down."""
        line = self.row(self.cursor) - round(self.scroll_y)
        top = round(self.scroll_y)
        self.papers = papers
        self.terms = list(terms)
        self.order = order
        layout = self._rows_for(papers, rows) if separators else None
        self.runs = layout.runs if layout is not None else []
        self.day_sizes = day_sizes or {}
        if layout is not None:
            self._row_of, self._at_row = layout.row_of, layout.at_row
        else:
            self._row_of = self._at_row = None
        index = cursor
        if keep is not None:
            found_at = _near(papers, keep, self.cursor)
            if found_at is None:
                found_at = self._position(papers, keep)
            index = cursor if found_at is None else found_at
        self._set_rows(Size(0, self.row_count))
        self.cursor = max(0, min(index, len(papers) - 1))
        height = self.scrollable_content_region.height
        if not (stay and 0 <= line < height):
            line = height // 3
        self.scroll_to(y=max(0, self.row(self.cursor) - line), animate=False, immediate=True)
        if round(self.scroll_y) == top:
            self._refresh_changed()
        # else: the scroll repainted the whole list itself

    def _refresh_changed(self) -> None:
        """Repaint only the lines whose row now looks different from the
        strip last drawn on them (a search's results often begin with the
        papers shown already); every line when nothing is known of them."""
        height = self.scrollable_content_region.height
        width = self.scrollable_content_region.width
        if not self.is_mounted or height <= 0 or not self._drawn:
            self.refresh()
            return
        changed = [y for y in range(height) if self._line(y) is not self._drawn.get(y)]
        # One region per run of changed lines.
        runs: list[Region] = []
        for y in changed:
            if runs and runs[-1].bottom == y:
                last = runs[-1]
                runs[-1] = Region(0, last.y, width, last.height + 1)
            else:
                runs.append(Region(0, y, width, 1))
        if runs:
            self.refresh(*runs)

    def _set_rows(self, size: Size) -> None:
        """The list's height in rows, set quietly and the scrollbar updated:
        through the reactive, Textual lays out the whole screen (10-40 ms)
        at each search that changes the count. The scrollbar is always
        there (``overflow-y: scroll``), so no count changes the list's width;
        it is repainted only when its thumb moves (``watch_scroll_y`` too)."""
        if size == self.virtual_size:
            return
        if self.is_mounted and self.container_size.height:
            bar = self.vertical_scrollbar
            before = scrollbar_thumb(bar, bar.position)
            self.set_reactive(ScrollView.virtual_size, size)
            if self.show_vertical_scrollbar and before == scrollbar_thumb(
                bar, bar.position, size.height
            ):
                # The bar looks the same (most searches give the best 1,000):
                # its new height is set without a repaint of all of it.
                bar.set_reactive(ScrollBar.window_virtual_size, size.height)
            else:
                scroll_update(self, size)
        else:
            self.virtual_size = size

    def _rows_for(
        self, papers: Sequence[Paper], rows: views.DayRows | None
    ) -> views.DayRows | None:
        """The separator tables of ``papers``: given, made before for the
        same list (the list of every paper, shown again after a search), or
        made now."""
        if rows is not None and rows.papers is papers:
            found: views.DayRows | None = rows
        else:
            known = [(r, k) for r, k in self._known_rows if r is papers]
            found = known[0][1] if known else views.day_rows(papers)
        # Held by the list itself (never an id() that a new list could reuse).
        self._known_rows = [(papers, found), *[e for e in self._known_rows if e[0] is not papers]]
        # A list of every paper let go of is 100k ids: freed off the event loop.
        if len(self._known_rows) > KNOWN_ROWS:
            release(self._known_rows[KNOWN_ROWS:])
            del self._known_rows[KNOWN_ROWS:]
        return found

    def _position(self, papers: Sequence[Paper], pid: str) -> int | None:
        """The index of paper ``pid`` in ``papers`` (None: not there). Rows
        read on demand look in their ids (a scan in C: a few ms at 1M ids,
        where a table of positions would hold 60 MB)."""
        if isinstance(papers, PaperRows):
            try:
                return papers.ids.index(pid)
            except ValueError:
                return None
        return self._positions(papers).get(pid)

    def _positions(self, papers: Sequence[Paper]) -> Mapping[str, int]:
        """Paper id -> index in ``papers``, made once per list (the list of
        every paper: back to it after a search, the cursor on the same paper)."""
        known = self._known_positions
        if known is not None and known[0] is papers:
            return known[1]
        positions = {pid: i for i, pid in enumerate(ids_of(papers))}
        self._known_positions = (papers, positions)
        return positions

    @property
    def row_count(self) -> int:
        """Rows drawn: the papers and the day separators."""
        return len(self._at_row) if self._at_row is not None else len(self.papers)

    def row(self, index: int) -> int:
        """The row paper ``index`` is drawn on."""
        if self._row_of is None or not 0 <= index < len(self._row_of):
            return index
        return self._row_of[index]

    def paper_at_row(self, row: int) -> int | None:
        """The paper index drawn on ``row`` (None: a separator or no row)."""
        if self._at_row is None:
            return row if 0 <= row < len(self.papers) else None
        if 0 <= row < len(self._at_row) and self._at_row[row] >= 0:
            return self._at_row[row]
        return None

    def show_at_top(self, index: int) -> None:
        """Put the cursor on paper ``index`` with it (and its day's separator,
        when it is the day's first paper) on the top row of the list."""
        if not self.papers:
            return
        index = max(0, min(len(self.papers) - 1, index))
        top = self.row(index)
        if self._at_row is not None and top > 0 and self._at_row[top - 1] < 0:
            top -= 1
        self.scroll_to(y=top, animate=False, immediate=True)
        self.cursor = index

    def state_changed(self) -> None:
        """The user's state changed (stars, tags, read marks): redraw (the
        marks are part of each row's cache key)."""
        self.refresh()

    # -- movement -----------------------------------------------------------

    def move(self, delta: int) -> None:
        if self.papers:
            self.cursor = max(0, min(len(self.papers) - 1, self.cursor + delta))

    def move_to(self, index: int) -> None:
        if self.papers:
            self.cursor = max(0, min(len(self.papers) - 1, index))

    @property
    def page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def watch_cursor(self, old: int, new: int) -> None:
        self._going_down = new >= old
        top = round(self.scroll_y)
        self._scroll_cursor_visible()
        if round(self.scroll_y) == top:
            # Only the two rows that changed; a scroll redraws everything itself.
            width = self.scrollable_content_region.width
            self.refresh(
                Region(0, self.row(old) - top, width, 1), Region(0, self.row(new) - top, width, 1)
            )
        self.post_message(self.Highlighted(self, self.papers, new))

    def _scroll_cursor_visible(self) -> None:
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top = round(self.scroll_y)
        row = self.row(self.cursor)
        if self._at_row is not None and row > 0 and self._at_row[row - 1] < 0:
            row -= 1  # moving up onto a day's first paper shows its day too
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif self.row(self.cursor) >= top + height:
            self.scroll_to(y=self.row(self.cursor) - height + 1, animate=False, immediate=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        # ScrollView's watcher moves the scrollbar, which repaints all of it
        # (about 3 ms for 45 rows) on every one-row scroll. At 100k papers the
        # thumb moves by an eighth of a cell every few hundred rows, so the
        # position is stored without a repaint when the drawn thumb is the same.
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            position = bar.validate_position(new_value)
            if scrollbar_thumb(bar, position) == scrollbar_thumb(bar, bar.position):
                bar.set_reactive(ScrollBar.position, position)
            else:
                bar.position = new_value
        if round(old_value) != round(new_value):
            self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._drawn.clear()
        self._scroll_cursor_visible()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        index = self.paper_at_row(round(self.scroll_y) + event.y)
        if index is not None:
            self.cursor = index

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.version += 1
        self._cache.clear()
        self._drawn.clear()
        self._styles.clear()
        self._palettes.clear()
        clear_row_styles(self)

    # -- drawing ------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        strip = self._line(y)
        self._drawn[y] = strip
        return strip

    def _line(self, y: int) -> Strip:
        """The strip of line ``y`` of the list as it is now (from the cache
        when a row that looks the same was drawn before)."""
        return self._strip(round(self.scroll_y) + y, self.scrollable_content_region.width)

    def _strip(self, row: int, width: int) -> Strip:
        """The strip of ``row`` of the list at ``width``, from the cache or drawn."""
        if not self.papers:
            if row == round(self.scroll_y):  # the list's first line
                look: RowLook = PlainLook("empty", self.empty_text, width, self.version)
            else:
                look = PlainLook("blank", "", width, self.version)
        elif row >= self.row_count:
            look = PlainLook("blank", "", width, self.version)
        else:
            index = row if self._at_row is None else self._at_row[row]
            look = self._look(index, width)
        strip = self._cache.get(look)
        if strip is None:
            strip = self._draw(look)
            self._cache[look] = strip
        return strip

    def draw_ahead(self) -> None:
        """Draw the page beyond the screen in the way the cursor last went,
        styled as the screen would style it, so that the next PgDn or PgUp
        finds its rows made: their look is then all that is worked out on the
        key (its cursor row aside). A page of new rows took 6-10 ms of the
        key, 12-18 ms at worst (``app_memory_bench.py``, 1M papers); about
        half was drawing and styling the rows, which this does while the
        user reads. Called when the loop is idle after a move (the screen's
        ``_moved``); nothing to do when the list has not scrolled since."""
        height = self.scrollable_content_region.height
        width = self.scrollable_content_region.width
        top = round(self.scroll_y)
        key = (top, self._going_down, width, height, self.version, id(self.papers))
        if not self.papers or height <= 0 or key == self._drawn_ahead:
            return
        self._drawn_ahead = key
        first = top + height if self._going_down else top - height
        for row in range(max(0, first), min(self.row_count, first + height)):
            style_ahead(self, self._strip(row, width))

    def _look(self, index: int, width: int) -> RowLook:
        """Everything row ``index`` (a separator when negative) is drawn
        from at ``width``: the key of its strip."""
        if index < 0:
            run = self.runs[-1 - index]
            size = self.day_sizes.get(run.day)
            return DayLook("day", run.day, run.count, size, width, self.version)
        paper = list_row(self.papers, index)
        st = self.state_of(paper.id)
        title = self._title(paper.title)
        spans = self._matches(title) if self.terms else ()
        return PaperLook(
            "paper",
            title,
            spans,
            paper.date,
            paper.upvotes,
            st.read,
            st.starred,
            bool(st.note),
            frozenset(st.tags),
            index == self.cursor,
            self.has_focus,
            self.order,
            width,
            self.version,
        )

    def _draw(self, look: RowLook) -> Strip:
        if isinstance(look, PaperLook):
            return self._render_row(look)
        if isinstance(look, DayLook):
            return self._render_day(look)
        if look.kind == "empty":
            style = self._style("paper-list--empty", partial=False)
            return Strip(Text("  " + look.text, style=style).render(self.app.console))
        return Strip.blank(look.width, self._style(""))

    def _render_day(self, look: DayLook) -> Strip:
        width = look.width
        style = self._style("") + self._style("paper-list--day", partial=False)
        heading = views.day_heading(tx.line(look.day), look.shown, look.size)
        text = Text(f"── {heading} ", style=style)
        text.append("─" * max(0, width - text.cell_len), style)
        text.truncate(width, overflow="crop", pad=True)
        return Strip(list(text.render(self.app.console)), width).simplify()

    def _style(self, name: str, *, partial: bool = True) -> Style:
        """The list's own style (``name`` "") or a component's, looked up
        once per styling (both walk the CSS each time; Textual forgets its
        own cache at every repaint)."""
        key = (name, partial)
        style = self._styles.get(key)
        if style is None:
            style = (
                self.rich_style
                if not name
                else self.get_component_rich_style(name, partial=partial)
            )
            self._styles[key] = style
        return style

    def _matches(self, title: str) -> tuple[tuple[int, int], ...]:
        key = (title, tuple(self.terms))
        spans = self._spans.get(key)
        if spans is None:
            spans = self._spans[key] = tuple(tx.match_spans(title, self.terms))
        return spans

    def _title(self, raw: str) -> str:
        title = self._titles.get(raw)
        if title is None:
            title = tx.line(raw) or "(untitled)"
            self._titles[raw] = title
        return title

    def _columns(self, width: int) -> list[str]:
        """The right-hand columns shown at ``width``, in drawing order (tags,
        upvotes, date). The one the list is sorted by stays when the list is
        narrow (a sidebar open at 120 columns leaves it about 50 cells)."""
        wanted = SORTED_COLUMN.get(self.order)
        shown = [name for name, _w, least in COLUMNS if width >= least]
        if wanted and wanted not in shown and width >= SORTED_FROM:
            shown.append(wanted)
            if wanted == "upvotes" and width < 34 + 6:
                shown = [c for c in shown if c != "date"]
        return [c for c in ("tags", "upvotes", "date") if c in shown]

    def _render_row(self, look: PaperLook) -> Strip:
        """The strip of a paper's row, made from its ``look`` alone: its
        segments put together here, each with the style that
        :meth:`_render_row_text` gives it (a rich ``Text`` appended, cut,
        padded, styled and rendered took four times as long: 5 ms of a
        search's frame for the rows it draws). A list too narrow for its
        columns is drawn by that one."""
        width = look.width
        base, plain, match, star, note = self._palette(look.cursor, look.focus, look.read)
        right = [(t, base + style) for t, style in self._right(look)]
        right_cells = sum(_cells(t) for t, _ in right)
        room = width - MARKS_CELLS - right_cells
        if room < 1:
            return self._render_row_text(look)
        segments = [
            Segment(" ", base),
            Segment("●" if not look.read else " ", plain),
            Segment("★" if look.starred else " ", star),
            Segment(NOTE_MARK if look.note else " ", note),
            Segment(" ", base),
        ]
        title, length = look.title, _cells(look.title)
        if length > room:  # cut, with an ellipsis (one cell short when a wide letter did not fit)
            title = set_cell_size(title, room - 1) + "…"
            shown, pad = cell_len(title), 0
        else:
            shown, pad = room, room - length
        at = 0
        for start, end in look.spans:
            start, end = max(start, at), min(end, len(title))
            if start >= end:
                continue
            if start > at:
                segments.append(Segment(title[at:start], plain))
            segments.append(Segment(title[start:end], match))
            at = end
        if at < len(title) or pad:
            segments.append(Segment(title[at:] + " " * pad, plain))
        segments += [Segment(t, style) for t, style in right]
        used = MARKS_CELLS + shown + right_cells
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        return Strip(list(Segment.simplify(segments)), width)

    def _palette(self, cursor: bool, focus: bool, read: bool) -> tuple[Style, ...]:
        """A row's styles: its own, its title's, a match's, the star's, the
        note mark's (each over the row's own), made once per styling."""
        key = (cursor, focus, read)
        got = self._palettes.get(key)
        if got is None:
            base, weight = self._row_styles(cursor, focus, read)
            plain = base + weight
            got = self._palettes[key] = (
                base,
                plain,
                plain + self._style("paper-list--match"),
                base + self._style("paper-list--star"),
                base + self._style("paper-list--note"),
            )
        return got

    def _row_styles(self, cursor: bool, focus: bool, read: bool) -> tuple[Style, Style]:
        """The row's own style (the cursor's on its row) and its title's."""
        base = self._style("")
        if cursor:
            cls = "paper-list--cursor" if focus else "paper-list--cursor-blurred"
            base = base + self._style(cls, partial=False)
        return base, self._style("paper-list--read" if read else "paper-list--unread")

    def _right(self, look: PaperLook) -> list[tuple[str, Style]]:
        """The right-hand columns of a row: (text, style) each."""
        meta = self._style("paper-list--meta")
        right: list[tuple[str, Style]] = []
        for column in self._columns(look.width):
            if column == "tags":
                tags = " ".join("#" + tx.line(t) for t in sorted(look.tags))
                if tags:
                    if len(tags) > 18:
                        tags = tags[:17] + "…"
                    right.append((" " + tags, self._style("paper-list--tag")))
            elif column == "upvotes":
                votes = upvotes(look.upvotes) if look.upvotes is not None else ""
                right.append((f" {votes:>5}", meta))
            else:
                right.append((f" {look.date or '':10} ", meta))
        return right

    def _render_row_text(self, look: PaperLook) -> Strip:
        """The strip of a paper's row through a rich ``Text`` (the look every
        row has; :meth:`_render_row` makes the same segments faster)."""
        width = look.width
        base, weight = self._row_styles(look.cursor, look.focus, look.read)
        right = Text()
        for piece, style in self._right(look):
            right.append(piece, style)
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(" ")
        text.append("●" if not look.read else " ", weight)
        text.append(
            "★" if look.starred else " ",
            self._style("paper-list--star"),
        )
        text.append(
            NOTE_MARK if look.note else " ",
            self._style("paper-list--note"),
        )
        text.append(" ")
        title = Text(look.title, style=weight)
        if look.spans:
            match = self._style("paper-list--match")
            for start, end in look.spans:
                title.stylize(match, start, end)
        room = max(1, width - text.cell_len - right.cell_len)
        title.truncate(room, overflow="ellipsis", pad=True)
        text.append_text(title)
        text.append_text(right)
        text.truncate(width, overflow="ellipsis", pad=True)
        text.stylize_before(base)
        segments = list(text.render(self.app.console))
        return Strip(segments, width).simplify()


def _cells(text: str) -> int:
    """The cells ``text`` takes (printable ASCII: one a letter, no lookup)."""
    return len(text) if text.isascii() and text.isprintable() else cell_len(text)


class PaperLook(NamedTuple):
    """What a paper's row shows: the key of its strip in the list's cache."""

    kind: Literal["paper"]
    title: str
    spans: tuple[tuple[int, int], ...]
    """Where the search terms matched in ``title``."""
    date: str
    upvotes: int | None
    read: bool
    starred: bool
    note: bool
    tags: frozenset[str]
    cursor: bool
    focus: bool
    order: str
    width: int
    version: int


class DayLook(NamedTuple):
    """What a day's separator row shows."""

    kind: Literal["day"]
    day: str
    shown: int
    """The day's papers in this list."""
    size: int | None
    """The day's own count (a list of every paper), else None."""
    width: int
    version: int


class PlainLook(NamedTuple):
    """A line with no row: blank, or the empty list's text."""

    kind: Literal["empty", "blank"]
    text: str
    width: int
    version: int


RowLook = PaperLook | DayLook | PlainLook


#: How many lists' separator tables the list keeps (every paper's, and one more).
KNOWN_ROWS = 2


def _near(papers: Sequence[Paper], pid: str, near: int) -> int | None:
    """The index of paper ``pid`` in ``papers`` when it is within ``NEAR`` of
    index ``near`` (a list taken in again moves a paper by the few papers
    added above it): a few looks rather than one per paper."""
    ids = ids_of(papers)
    try:  # a scan in C over a list (a list taken in again: 100k ids)
        return ids.index(pid, max(0, near - NEAR), min(len(ids), near + NEAR + 1))
    except ValueError:
        return None


#: How far from its old index ``_near`` looks for the cursor's paper.
NEAR = 600


#: The mark of a paper with a note (between the star and the title).
NOTE_MARK = "✎"
#: The cells a row's marks take (a space, unread, star, note, a space).
MARKS_CELLS = cell_len(f" ●★{NOTE_MARK} ")
#: The right-hand columns: their width, and the list width from which each is
#: shown (the date first). The column the list is sorted by is shown from
#: ``SORTED_FROM`` on, whatever its usual threshold.
COLUMNS = (("date", 12, 34), ("upvotes", 6, 56), ("tags", 19, 56))
SORTED_FROM = 30
SORTED_COLUMN = {"upvotes": "upvotes", "newest": "date", "oldest": "date"}


def scrollbar_thumb(
    bar: ScrollBar, position: float, virtual: float | None = None
) -> tuple[int, int] | None:
    """Where ``ScrollBarRender.render_bar`` draws the thumb of the vertical
    ``bar`` (at ``position``, for a ``virtual`` height, default the bar's), in
    eighths of a cell; None: no thumb. Equal results: the bar looks the same."""
    size = bar.size.height
    virtual = ceil(bar.window_virtual_size if virtual is None else virtual)
    window = ceil(bar.window_size if bar.window_size < virtual else 0)
    if not (window and size and virtual and size != virtual):
        return None
    thumb = max(1, window / (virtual / size))
    start = int((size - thumb) * (position / (virtual - window)) * 8)
    return start, start + ceil(thumb * 8)
