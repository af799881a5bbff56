"""The tag dialog (``t``): comma-separated tags; ``-tag`` removes one.
Completes existing tags (the part after the last comma)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static

from reader.state import normalise_tag
from reader.tui import text as tx
from reader.wording import number


@dataclass
class TagEdit:
    """What the user typed: tags to add and tags to remove."""

    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, value: str) -> TagEdit:
        edit = cls()
        for part in value.split(","):
            part = part.strip()
            if part.startswith("-") and part[1:].strip():
                edit.remove.append(part[1:].strip())
            elif part.lstrip("-"):
                edit.add.append(part.lstrip("#"))
        return edit

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)

    def against(self, current: Iterable[str]) -> TagEdit:
        """What this edit changes on a paper tagged ``current``: the tags it
        does not have yet, and the tags it has to remove (as stored)."""
        have = {normalise_tag(t) for t in current}
        add = [t for t in dict.fromkeys(normalise_tag(t) for t in self.add) if t and t not in have]
        remove = [t for t in dict.fromkeys(normalise_tag(t) for t in self.remove) if t in have]
        return TagEdit(add, remove)

    def describe(self, current: Iterable[str] = ()) -> str:
        """What this edit does to a paper tagged ``current``: only the tags
        really added or removed are named as such; the rest are said to be
        unchanged ("already tagged x", "was not tagged y")."""
        have = {normalise_tag(t) for t in current}
        done = self.against(have)
        kept = [t for t in dict.fromkeys(normalise_tag(t) for t in self.add) if t in have]
        absent = [
            t for t in dict.fromkeys(normalise_tag(t) for t in self.remove) if t and t not in have
        ]
        parts = []
        if done.add:
            parts.append("tagged " + ", ".join(tx.line(t) for t in done.add))
        if done.remove:
            parts.append("untagged " + ", ".join(tx.line(t) for t in done.remove))
        if kept:
            parts.append("already tagged " + ", ".join(tx.line(t) for t in kept))
        if absent:
            parts.append("was not tagged " + ", ".join(tx.line(t) for t in absent))
        return "; ".join(parts)


class TagSuggester(Suggester):
    """Completes the last comma-separated part from the known tags."""

    def __init__(self, tags: Sequence[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.tags = sorted(tags)

    async def get_suggestion(self, value: str) -> str | None:
        head, _, last = value.rpartition(",")
        stripped = last.lstrip()
        sign = "-" if stripped.startswith("-") else ""
        word = stripped[len(sign) :].casefold()
        if not word:
            return None
        for tag in self.tags:
            if tag.casefold().startswith(word) and tag.casefold() != word:
                lead = last[: len(last) - len(stripped)]
                prefix = f"{head}," if head or value.startswith(",") else ""
                return f"{prefix}{lead}{sign}{tag}"
        return None


class TagDialog(ModalScreen[TagEdit | None]):
    """Ask for tags. Enter applies, Escape cancels, → accepts a completion."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="tag-cancel"),
    ]

    DEFAULT_CSS = """
    TagDialog { align: center middle; }
    TagDialog > Vertical {
        width: 70; max-width: 100%; height: auto; max-height: 100%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    TagDialog Input { margin: 1 0 0 0; }
    TagDialog .hint { color: $text-muted; }
    """

    def __init__(self, title: str, current: Sequence[str], known: dict[str, int]) -> None:
        super().__init__()
        self.paper_title = title
        self.current = list(current)
        self.known = known

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Tags"
            yield Static(Text(tx.line(self.paper_title), no_wrap=True, overflow="ellipsis"))
            has = ", ".join("#" + tx.line(t) for t in self.current) or "none yet"
            yield Static(Text(f"Its tags: {has}"), classes="hint")
            yield Input(
                placeholder="tag, other-tag, -tag-to-remove",
                suggester=TagSuggester(list(self.known)),
                id="tag-input",
            )
            top = sorted(self.known.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
            if top:
                known = "  ".join(f"{tx.line(t)} ({number(n)})" for t, n in top)
                yield Static(Text(f"Known: {known}"), classes="hint", id="tag-known")
            yield Static(Text("Enter applies · → completes · Esc cancels"), classes="hint")

    def on_mount(self) -> None:
        if not self.is_attached:  # the app is ending (a signal as it opened): its widgets are gone
            return
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(TagEdit.parse(event.value))
