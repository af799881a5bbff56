"""The status line: the current view and its count, the library's size, and
the indexing progress while the index builds.

The line is fitted to its width: the count of what the list shows always
stays; the library's static figures are dropped (least useful first), then
the view's label is shortened, before the count is ever cut. "N problems"
is a link: a click opens the problems list (``app.show_problems``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar, Static

#: Library parts dropped first when the line is too narrow (kinds from
#: ``reader.views.library_parts``); what a user can act on (problems) last.
DROP_FIRST = ("file", "days", "sample", "reading", "papers", "problems")
#: The view's label keeps at least this many cells while anything else is left to drop.
LABEL_MIN = 16
#: Padding of the two statics (``padding: 0 1`` each) and the separator " · ".
PADDING = 4
SEP = " · "
#: "N problems": underlined, and a click runs the app's ``show_problems``.
PROBLEMS_LINK = Style(underline=True) + Style.from_meta({"@click": "app.show_problems"})


@dataclass
class StatusFit:
    """What the line shows at one width."""

    label: str
    view: list[str] = field(default_factory=list)
    library: list[str] = field(default_factory=list)


def fit_status(
    width: int,
    label: str,
    count: str,
    short_count: str,
    notes: Sequence[str],
    library: Sequence[tuple[str, str]],
) -> StatusFit:
    """Fit the status line into ``width`` cells.

    ``count`` (or, when even that does not fit, ``short_count``) always stays;
    the ``library`` parts and the ``notes`` (the list's order) are dropped,
    least useful first, while the line is too long; only then is ``label`` cut."""
    lib = list(library)
    kept_notes = list(notes)

    def length(lbl: int, cnt: str) -> int:
        view = [cnt, *kept_notes]
        n = PADDING + lbl + sum(len(SEP) + cell_len(v) for v in view if v)
        if lib:
            n += len(SEP) * (len(lib) - 1) + sum(cell_len(t) for _k, t in lib)
        return n

    full, least = cell_len(label), min(cell_len(label), LABEL_MIN)
    # The static figures, then the list's order, give way to the whole label;
    # the problems (which the user can act on) only to a label cut to LABEL_MIN.
    for kind in DROP_FIRST[:-1]:
        if length(full, count) <= width:
            break
        lib = [p for p in lib if p[0] != kind]
    while kept_notes and length(full, count) > width:
        kept_notes.pop()
    if length(least, count) > width:
        lib = []
    if length(least, count) > width and short_count:
        count = short_count
    shown = Text(label)
    shown.truncate(max(width - length(0, count), 1), overflow="ellipsis")
    return StatusFit(shown.plain, [v for v in (count, *kept_notes) if v], [t for _k, t in lib])


class StatusLine(Horizontal):
    """One line at the top of the main screen."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; }
    StatusLine > #status-view { width: 1fr; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    StatusLine > #status-library { width: auto; padding: 0 1; color: $text-muted; }
    StatusLine > #status-progress { width: 28; display: none; }
    StatusLine.-indexing > #status-progress { display: block; }
    StatusLine > #status-progress Bar { width: 14; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._label = ""
        self._count = ""
        self._short_count = ""
        self._notes: list[str] = []
        self._library: list[tuple[str, str]] = []
        self._pending = ""
        self._activity = ""
        self._library_shown: tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | None = None
        self._view_shown: tuple[str, tuple[str, ...]] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="status-view")
        yield ProgressBar(id="status-progress", show_eta=False, show_percentage=True)
        yield Label(id="status-library")

    def set_view(
        self, label: str, count: str, short_count: str = "", notes: Sequence[str] = ()
    ) -> None:
        """The view's ``label`` (plain text), the ``count`` of what it shows
        (``short_count``: the same in fewer cells) and ``notes`` such as its order."""
        self._label, self._count, self._short_count = label, count, short_count
        self._notes = list(notes)
        self._fit()

    def set_library(self, parts: Sequence[tuple[str, str]]) -> None:
        """The library's ``(kind, text)`` parts (``reader.views.library_parts``)."""
        self._library = list(parts)
        self._fit()

    def set_pending(self, text: str) -> None:
        """A key waiting for more (a count typed, ``l`` before its number):
        shown after the count, never dropped."""
        if text != self._pending:
            self._pending = text
            self._fit()

    def set_activity(self, text: str) -> None:
        """Work going on in the background (a fetch's progress), or what it
        left to know ("offline: last fetch 2 days ago"); "" clears it."""
        if text != self._activity:
            self._activity = text
            self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        if not self.is_mounted:
            return
        width = self.size.width
        if self.has_class("-indexing"):
            width -= 28
        count, short = self._count, self._short_count
        if self._pending:
            count = f"{count}{SEP}{self._pending}"
            short = f"{short or self._count}{SEP}{self._pending}"
        if self._activity:
            count = f"{count}{SEP}{self._activity}"
            short = f"{short or self._count}{SEP}{self._activity}"
        fit = fit_status(width or 200, self._label, count, short, self._notes, self._library)
        view_shown = (fit.label, tuple(fit.view))
        if view_shown != self._view_shown:
            # Only a change is drawn (keys typed in a word often keep the
            # count), and one line whatever it says (width 1fr, no wrap): no
            # layout pass, which would arrange the whole screen again.
            self._view_shown = view_shown
            view = Text(no_wrap=True, overflow="ellipsis")
            view.append(fit.label, "bold")
            for part in fit.view:
                view.append(SEP + part)
            self.query_one("#status-view", Static).update(view, layout=False)
        shown = (tuple(fit.library), tuple(self._library))
        if shown != self._library_shown:
            # Its width follows its text: a layout, but only when it changes.
            self._library_shown = shown
            self.query_one("#status-library", Label).update(self._library_text(fit.library))

    def _library_text(self, shown: Sequence[str]) -> Text:
        """The kept library parts; the problems part a link to their list."""
        problems = {t for kind, t in self._library if kind == "problems"}
        text = Text(no_wrap=True)
        for i, part in enumerate(shown):
            if i:
                text.append(SEP)
            if part in problems:
                text.append(part, PROBLEMS_LINK)
            else:
                text.append(part)
        return text

    def set_progress(self, done: int, total: int) -> None:
        """Indexing progress; ``done >= total`` hides the bar."""
        bar = self.query_one("#status-progress", ProgressBar)
        if total <= 0 or done >= total:
            if self.has_class("-indexing"):
                self.remove_class("-indexing")
                self._fit()
            return
        if not self.has_class("-indexing"):
            self.add_class("-indexing")
            self._fit()
        bar.update(total=total, progress=done)
