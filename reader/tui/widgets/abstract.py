"""The abstract pane: title, authors, date, marks and tags (at most two lines),
numbered links, the AI summary, the abstract rendered from Markdown, arXiv's
comments and journal ref, each newsletter's own summary under its name, and
the user's note.

Markdown goes through ``rich.markdown`` with hyperlinks off (nothing on the
pane is a live link: a link is copied with ``l`` and ``1``-``9`` or opened with ``o``,
through the reader's opener). Markdown links are replaced by their text and a
number, ``[3]``, matching the numbered list above the abstract. An abstract
with no Markdown syntax at all (most of them) is drawn as rich's Markdown
would draw it, without parsing it (:class:`PlainAbstract`). Anything large
or pathological (long text, big tables, piles of brackets) is shown as plain
text, so rendering never blocks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from markdown_it.token import Token
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.markdown import Markdown, MarkdownElement, Paragraph
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from reader.model import Paper
from reader.state import PaperState
from reader.tui import text as tx
from reader.tui.textual_private import scroll_update
from reader.tui.widgets.paper_list import scrollbar_thumb
from reader.wording import counted, upvotes
from reader.wording import number as grouped

#: Larger abstracts are shown as plain text.
MARKDOWN_MAX_CHARS = 8_000
#: Only this much of an abstract is laid out at all: a 5 MB abstract took 15 s
#: to wrap, and nobody reads that far in a terminal pane.
DISPLAY_MAX_CHARS = 20_000
#: Tables with more rows or columns than this are shown as plain text.
TABLE_MAX = 20
#: Markdown syntax characters above this count mean plain text (markdown-it
#: is slow on piles of brackets and emphasis marks).
SYNTAX_MAX = 600

_MD_LINK = re.compile(
    r"\[([^\[\]\n]{0,300})\]\(\s*<?(https?://[^)\s>]{1,2000})>?(?:\s+\"[^\"\n]*\")?\s*\)"
)
_AUTOLINK = re.compile(r"<(https?://[^>\s]{1,2000})>")
_BARE = re.compile(r"(?<![(<\[\w/])https?://[^\s<>()\[\]\"']{1,2000}")
_SYNTAX = re.compile(r"[\[\]*_`>|]")
#: What :func:`is_plain` refuses: a character markdown-it could read as
#: markup (or a control character: ``\r`` breaks a line, ``\0`` is replaced);
#: a line that starts with whitespace (code, lazy lines), ``-`` or ``+``
#: (lists, rules, setext underlines), or a number and ``.`` or ``)``; a line
#: that ends in whitespace other than spaces (markdown-it trims a paragraph's
#: end by its own set of whitespace).
_NOT_PLAIN = re.compile(
    r"[\[\]*_`>|#<\\&~=\x00-\x08\x0b-\x1f\x7f]|^[^\S\n]|^[-+]|^\d+[.)]|[^\S\n ]$",
    re.MULTILINE,
)
#: The pane's own link numbers (``number_links``: ``text [3]``), which
#: markdown-it leaves as they are in a text with no link definitions (no
#: line starts with ``[``): not at a line's start, nor after ``!`` or ``]``,
#: nor before ``(`` or ``[``.
_LINK_NUMBER = re.compile(r"(?<=[^\n!\]])\[\d{1,4}\](?![(\[:])")
#: The marks-and-tags line (stars, note, your tags, the source's keywords)
#: wraps to at most this many lines: HF papers carry a dozen keywords.
TAG_LINES = 2


class Clamped:
    """A text wrapped to at most ``max_lines`` lines at the width it is drawn
    at, the last one ending in "…" when some was left out."""

    def __init__(self, text: Text, max_lines: int) -> None:
        self.text = text
        self.max_lines = max_lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width)
        lines = list(self.text.wrap(console, width))
        if len(lines) > self.max_lines:
            lines = lines[: self.max_lines]
            last = lines[-1]
            last.rstrip()
            last.truncate(max(0, width - 2))
            last.append(" …")
        for ln in lines:
            ln.end = "\n"
            yield ln


def collect_links(paper: Paper) -> list[tuple[str, str]]:
    """Every link of the paper, numbered in this order: its own links, then
    the links found in the abstract. ``(label, url)``, each URL once."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(label: str, url: str) -> None:
        url = tx.line(url).rstrip(".,;:")
        if url and url not in seen:
            seen.add(url)
            out.append((tx.line(label) or "link", url))

    for link in paper.links:
        add(link.label, link.url)
    abstract = paper.abstract or ""
    if len(abstract) <= 200_000:
        for m in _MD_LINK.finditer(abstract):
            add("text", m.group(2))
        for m in _AUTOLINK.finditer(abstract):
            add("text", m.group(1))
        for m in _BARE.finditer(abstract):
            add("text", m.group(0))
    return out


def too_big_for_markdown(text: str) -> bool:
    """True when ``text`` should be shown plain (see module docs)."""
    if len(text) > MARKDOWN_MAX_CHARS:
        return True
    if len(_SYNTAX.findall(text)) > SYNTAX_MAX:
        return True
    rows = [ln for ln in text.splitlines() if ln.lstrip().startswith("|")]
    if len(rows) > TABLE_MAX + 2:
        return True
    return any(ln.count("|") > TABLE_MAX + 1 for ln in rows)


class _HighlightParagraph(Paragraph):
    """A paragraph that marks the search terms."""

    terms: Sequence[str] = ()
    style_hl: Style | str = "bold underline"

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> Paragraph:
        para = cls(justify=markdown.justify or "left")
        if isinstance(markdown, _AbstractMarkdown):
            para.terms = markdown.terms
            para.style_hl = markdown.highlight_style
        return para

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.terms:
            tx.highlight(self.text, self.terms, self.style_hl)
        yield from super().__rich_console__(console, options)


class _AbstractMarkdown(Markdown):
    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements,
        "paragraph_open": _HighlightParagraph,
    }

    def __init__(self, text: str, terms: Sequence[str], highlight_style: Style | str) -> None:
        super().__init__(text, hyperlinks=False, code_theme="ansi_dark")
        self.terms = list(terms)
        self.highlight_style = highlight_style


def number_links(abstract: str, links: list[tuple[str, str]]) -> str:
    """Replace Markdown links by ``text [N]`` where N is the link's number."""
    index = {url: n for n, (_label, url) in enumerate(links, start=1)}

    def md(m: re.Match[str]) -> str:
        n = index.get(tx.line(m.group(2)).rstrip(".,;:"))
        label = m.group(1) or m.group(2)
        return f"{label} [{n}]" if n else label

    def auto(m: re.Match[str]) -> str:
        n = index.get(tx.line(m.group(1)).rstrip(".,;:"))
        return f"{m.group(1)} [{n}]" if n else m.group(1)

    def bare(m: re.Match[str]) -> str:
        url = m.group(0)
        trail = ""
        while url and url[-1] in ".,;:":
            trail = url[-1] + trail
            url = url[:-1]
        n = index.get(tx.line(url))
        return f"{url} [{n}]{trail}" if n else m.group(0)

    return _AUTOLINK.sub(auto, _MD_LINK.sub(md, _BARE.sub(bare, abstract)))


def is_plain(text: str) -> bool:
    """True when ``text`` has no Markdown syntax at all (conservatively: not
    a character Markdown could read as markup but the pane's link numbers,
    no line that could open a block, no trailing whitespace but spaces), so
    :class:`PlainAbstract` draws it as Markdown would."""
    return _NOT_PLAIN.search(_LINK_NUMBER.sub("0", text)) is None


class PlainAbstract:
    """An abstract without Markdown syntax (:func:`is_plain`), drawn exactly as
    ``rich.markdown`` draws it, without parsing it: most real abstracts are
    plain (261 of the 290 of ``benchmarks/abstract_bench.py``), and one took
    0.58 ms to render at 78 columns through Markdown, 0.32 ms here (a bare
    ``Text``: 0.29 ms); ``AbstractPane.show`` p50 1.62 -> 1.31 ms.

    As markdown-it and rich's ``Markdown`` do for such text: paragraphs are
    split on blank lines, with one blank line drawn between them; a line's
    one trailing space goes and the line is joined to the next by a space
    (a soft break), two or more go and it ends the line (a hard break); the
    paragraph's last line loses its trailing spaces; the search terms are
    marked in each paragraph, as :class:`_HighlightParagraph` marks them.
    ``tests/test_abstract_plain.py`` checks that both draw the same strips.
    """

    def __init__(self, text: str, terms: Sequence[str], highlight_style: Style | str) -> None:
        self.paragraphs = [p.split("\n") for p in re.split(r"\n{2,}", text.strip("\n")) if p]
        self.terms = list(terms)
        self.highlight_style = highlight_style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        style = Style.null() + console.get_style("markdown.paragraph", default="none")
        for n, lines in enumerate(self.paragraphs):
            if n:
                yield Segment.line()
            text = Text(justify="left")
            for line in lines[:-1]:
                if line.endswith("  "):
                    text.append(line.rstrip(" "), style)
                    text.append("\n", style)
                else:
                    text.append(line.removesuffix(" "), style)
                    text.append(" ", style)
            text.append(lines[-1].rstrip(" "), style)
            if self.terms:
                tx.highlight(text, self.terms, self.highlight_style)
            yield text


def markdown_abstract(
    abstract: str, terms: Sequence[str], highlight_style: Style | str
) -> RenderableType:
    """The abstract through ``rich.markdown`` (whatever its syntax)."""
    return _AbstractMarkdown(abstract, terms, highlight_style)


def render_abstract(
    abstract: str, terms: Sequence[str], highlight_style: Style | str
) -> RenderableType:
    """The abstract as a renderable: Markdown, drawn without parsing when it
    has no syntax, or plain text when too big."""
    if not abstract.strip():
        return Text("(no abstract)", style="italic")
    if too_big_for_markdown(abstract):
        return tx.highlight(Text(abstract), terms, highlight_style)
    if is_plain(abstract):
        return PlainAbstract(abstract, terms, highlight_style)
    return markdown_abstract(abstract, terms, highlight_style)


class AbstractPane(ScrollView, can_focus=True):
    """Everything about the paper under the cursor.

    A Line-API view: the content is rendered once per paper (and width) into
    strips, so moving through the list redraws this pane only, with no
    re-layout of the screen.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "abstract--title",
        "abstract--meta",
        "abstract--link-number",
        "abstract--tag",
        "abstract--user-tag",
        "abstract--star",
        "abstract--match",
        "abstract--note-title",
        "abstract--label",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Up", show=False, id="abstract-scroll-up"),
        Binding("down", "scroll_down", "Down", show=False, id="abstract-scroll-down"),
        # Most terminals send Shift+Space as Space: b and PgUp go back up.
        Binding("b,pageup", "page_up", "Page up", show=False, id="abstract-page-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="abstract-page-down"),
    ]

    DEFAULT_CSS = """
    AbstractPane { padding: 0 1; overflow-x: hidden; overflow-y: scroll; scrollbar-size-vertical: 1; }
    AbstractPane > .abstract--title { text-style: bold; color: $text; }
    AbstractPane > .abstract--meta { color: $text-muted; }
    AbstractPane > .abstract--link-number { color: $accent; text-style: bold; }
    AbstractPane > .abstract--tag { color: $text-muted; }
    AbstractPane > .abstract--user-tag { color: $secondary; text-style: bold; }
    AbstractPane > .abstract--star { color: $warning; }
    AbstractPane > .abstract--match { text-style: bold underline; color: $accent; }
    AbstractPane > .abstract--note-title { color: $primary; text-style: bold; }
    AbstractPane > .abstract--label { color: $primary; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.paper: Paper | None = None
        """The paper shown."""
        self.links: list[tuple[str, str]] = []
        """The numbered links, ``(label, url)``; number = index + 1."""
        self._parts: list[RenderableType] = [Text("")]
        self._strips: list[Strip] = []
        self._width = -1
        self._styles: dict[str, Style] = {}
        self._shown: tuple[PaperState | None, tuple[str, ...]] | None = None
        """The state and terms ``paper`` is shown with."""

    def _style(self, name: str) -> Style:
        # Looked up for every paper shown; the lookup resolves CSS each time.
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name, partial=True)
        return style

    # -- drawing ---------------------------------------------------------------

    def _layout_lines(self, width: int) -> None:
        """Render the content at ``width`` (once per paper and width)."""
        self._width = width
        console = self.app.console
        options = console.options.update(width=max(1, width), highlight=False, height=None)
        style = self.rich_style
        strips: list[Strip] = []
        for part in self._parts:
            try:
                lines = console.render_lines(part, options, style=style, pad=True)
            except Exception:  # a renderer bug must not take the pane down
                lines = console.render_lines(Text("(this abstract could not be shown)"), options)
            strips.extend(Strip(line, width) for line in lines)
        self._strips = strips
        size = Size(0, len(strips))
        if size != self.virtual_size:
            # Not through the reactive: that would lay out the whole screen on
            # every cursor move. The scrollbar is always shown (overflow-y:
            # scroll), so a new height never changes this widget's layout.
            self.set_reactive(ScrollView.virtual_size, size)
            bar = self.vertical_scrollbar if self.show_vertical_scrollbar else None
            if (
                bar is not None
                and self.scroll_y <= self.max_scroll_y
                and scrollbar_thumb(bar, bar.position)
                == scrollbar_thumb(bar, bar.position, size.height)
            ):
                # The bar looks the same (typically: no thumb, the abstract
                # fits): skip its repaint, a third of this pane's cost.
                bar.set_reactive(ScrollBar.window_virtual_size, size.height)
            else:
                scroll_update(self, size)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._width:
            self._layout_lines(width)
        row = round(self.scroll_y) + y
        if 0 <= row < len(self._strips):
            return self._strips[row]
        return Strip.blank(width, self.rich_style)

    def on_resize(self) -> None:
        self._width = -1

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._shown = None  # the next show builds the text again, in the new styles
        self._width = -1

    # -- content ---------------------------------------------------------------

    def show(
        self, paper: Paper | None, state: PaperState | None, terms: Sequence[str] = ()
    ) -> None:
        """Show ``paper`` (None: an empty pane) with the user's ``state``
        and ``terms`` marked; nothing is done when that is what it shows."""
        look = (state, tuple(terms))
        if paper is self.paper and paper is not None and look == self._shown:
            return
        self._shown = look
        self.paper = paper
        self._parts = self._build(paper, state, terms)
        width = self.scrollable_content_region.width
        # What is on screen now, if it is known: its rows below both texts
        # are blank and need no repaint (half the pane for a short abstract).
        shown = len(self._strips) if self._width == width and self.scroll_y == 0 else None
        self._width = -1
        self.scroll_to(0, 0, animate=False, immediate=True)
        if width > 0:
            self._layout_lines(width)
        if shown is not None:
            self.refresh(Region(0, 0, self.size.width, max(shown, len(self._strips))))
        else:
            self.refresh()

    def _build(
        self, paper: Paper | None, state: PaperState | None, terms: Sequence[str]
    ) -> list[RenderableType]:
        if paper is None:
            self.links = []
            return [Text("Nothing selected.", style="italic")]
        if state is None:
            state = PaperState()  # no state known: no marks
        match = self._style("abstract--match")
        meta = self._style("abstract--meta")
        self.links = collect_links(paper)
        title = Text(tx.line(paper.title) or "(untitled)", style=self._style("abstract--title"))
        tx.highlight(title, terms, match)
        parts: list[RenderableType] = [title]
        if paper.authors:
            authors = tx.joined(tx.line(a) for a in paper.authors[:30])
            if len(paper.authors) > 30:
                authors += f" and {grouped(len(paper.authors) - 30)} more"
            parts.append(tx.highlight(Text(authors, style=meta), terms, match))
        facts = [tx.line(paper.date)] if paper.date else []
        if len(paper.dates) > 1:
            facts.append(counted(len(paper.dates), "digest day"))
        if paper.upvotes is not None:
            facts.append(upvotes(paper.upvotes, spaced=True))
        if paper.comments:
            facts.append(counted(paper.comments, "comment"))
        if paper.arxiv_id:
            facts.append(f"arXiv {tx.line(paper.arxiv_id)}")
        elif paper.doi:
            facts.append(f"doi {tx.line(paper.doi)}")
        if paper.github_stars is not None:
            facts.append(f"☆ {grouped(paper.github_stars)} on GitHub")
        if facts:
            parts.append(Text(" · ".join(facts), style=meta))
        marks = Text()
        if state.starred:
            marks.append("★ starred  ", self._style("abstract--star"))
        if state.note:
            marks.append("✎ note  ", self._style("abstract--note-title"))
        for t in sorted(state.tags):
            marks.append("#" + tx.line(t) + " ", self._style("abstract--user-tag"))
        if paper.tags:
            marks.append(
                tx.joined((tx.line(t) for t in paper.tags[:12]), " · "),
                self._style("abstract--tag"),
            )
        if marks.plain:
            parts.append(Clamped(marks, TAG_LINES))
        number = self._style("abstract--link-number")
        for n, (label, url) in enumerate(self.links, start=1):
            parts.append(
                Text.assemble(
                    (f"[{n}]", number),
                    f" {label:7} ",
                    (url, meta),
                    no_wrap=True,
                    overflow="ellipsis",
                )
            )
        heading = self._style("abstract--label")
        ai_summary = tx.block(paper.ai_summary or "")
        raw = paper.abstract if paper.abstract.strip() else ai_summary
        if ai_summary and paper.abstract.strip() and ai_summary != paper.abstract:
            # a one-sentence machine summary: a short labelled paragraph
            parts.append(Text(" "))
            parts.append(
                tx.highlight(Text.assemble(("AI summary: ", heading), ai_summary), terms, match)
            )
        rest = len(raw) - DISPLAY_MAX_CHARS
        abstract = tx.block(raw[:DISPLAY_MAX_CHARS])
        parts.append(Text(" "))
        stands_in = next((sm for sm in paper.summaries if sm.text == paper.abstract), None)
        if stands_in is not None:
            # no abstract of the paper's own in the digests: say whose words these are
            parts.append(Text(f"Summary · {tx.line(stands_in.source)}", style=heading))
        parts.append(render_abstract(number_links(abstract, self.links), terms, match))
        if rest > 0:
            parts.append(
                Text(
                    f"… {counted(rest, 'more character')} not shown "
                    f"(digest-reader show {tx.line(paper.id)} prints them all)",
                    style=meta,
                )
            )
        arxiv_notes = (("Comments", paper.arxiv_comments), ("Journal ref", paper.journal_ref))
        for name, value in arxiv_notes:
            if value:
                parts.append(Text.assemble((f"{name}: ", heading), (tx.line(value), meta)))
        for summary in paper.summaries:
            if summary is stands_in:
                continue
            parts.append(Text(" "))
            parts.append(Text(f"Summary · {tx.line(summary.source)}", style=heading))
            text = tx.block(summary.text[:DISPLAY_MAX_CHARS])
            parts.append(render_abstract(number_links(text, self.links), terms, match))
        if state.note:
            parts.append(Text(" "))
            parts.append(Text("Note", style=self._style("abstract--note-title")))
            parts.append(Text(tx.block(state.note[:DISPLAY_MAX_CHARS])))
            if len(state.note) > DISPLAY_MAX_CHARS:
                more = len(state.note) - DISPLAY_MAX_CHARS
                parts.append(
                    Text(
                        f"… {counted(more, 'more character')} not shown (n opens the note)",
                        style=meta,
                    )
                )
        return parts
