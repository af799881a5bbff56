"""Every command of the main screen, defined once.

A :class:`Command` yields the key binding (with its ``id``, so the config's
``keymap:`` can change its keys), the footer entry, the help-screen row and the
command-palette entry. Nothing else in the UI lists keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Command:
    """One thing the user can do from the main screen."""

    id: str
    """Binding id: the name used in the config's ``keymap:``."""
    keys: str
    """Default keys, comma separated (Textual key names); "" = palette only."""
    action: str
    """The main screen's action (``action_<name>``), with arguments if any."""
    title: str
    """Short name: the footer label and the palette title."""
    help: str
    """One line for the help screen, the palette and the tooltip."""
    group: str
    """Help screen section."""
    footer: bool = False
    """Shown in the footer."""
    palette: bool = True
    """Offered in the command palette."""
    key_display: str | None = None
    """How the keys are shown when the names are unwieldy."""
    priority: bool = False
    """Run before the key reaches the focused widget. Keys that move the focus
    need it: keys typed right after them (``/word``) must follow the focus."""

    def binding(self) -> Binding:
        return Binding(
            self.keys,
            self.action,
            self.title,
            show=self.footer,
            key_display=self.key_display,
            id=self.id,
            tooltip=self.help,
            priority=self.priority,
        )

    def shown_keys(self, keymap: Mapping[str, str] | None = None) -> str:
        """The keys as the user types them, after the keymap."""
        keys = (keymap or {}).get(self.id, self.keys)
        if self.key_display and self.id not in (keymap or {}):
            return self.key_display
        return ", ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(",") if k.strip())


#: Textual key names shown as the character typed.
KEY_NAMES = {
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "question_mark": "?",
    "exclamation_mark": "!",
    "full_stop": ".",
    "backslash": "\\",
    "slash": "/",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "down": "↓",
    "up": "↑",
    "home": "Home",
    "end": "End",
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "space": "Space",
    "shift+space": "Shift+Space",
}

NAV, PAPER, COPY, VIEW, APP = "Move", "This paper", "Copy and open", "Views", "App"

COMMANDS: tuple[Command, ...] = (
    Command("cursor-down", "j,down", "cursor_down", "Down", "Next paper", NAV, palette=False),
    Command("cursor-up", "k,up", "cursor_up", "Up", "Previous paper", NAV, palette=False),
    Command("page-down", "pagedown", "page_down", "Page down", "A page down", NAV, palette=False),
    Command("page-up", "pageup", "page_up", "Page up", "A page up", NAV, palette=False),
    Command("first", "g,home", "first", "First", "The first paper of the list", NAV),
    Command("last", "G,end", "last", "Last", "The last paper of the list", NAV),
    Command(
        "prev-day",
        "left_square_bracket",
        "prev_day",
        "Older day",
        "The previous (older) digest day",
        NAV,
    ),
    Command(
        "next-day",
        "right_square_bracket",
        "next_day",
        "Newer day",
        "The next (newer) digest day",
        NAV,
    ),
    Command(
        "abstract-down",
        "space",
        "abstract_down",
        "Scroll abstract",
        "Scroll the abstract a page down",
        NAV,
        palette=False,
    ),
    Command(
        "abstract-up",
        "shift+space",
        "abstract_up",
        "Scroll abstract up",
        "Scroll the abstract a page up",
        NAV,
        palette=False,
    ),
    Command("star", "s", "star", "Star", "Star or unstar the paper", PAPER, footer=True),
    Command(
        "tag", "t", "tag", "Tag", "Add tags (comma separated; -tag removes)", PAPER, footer=True
    ),
    Command("repeat", "full_stop", "repeat", "Repeat", "Repeat the last star or tag change", PAPER),
    Command("read", "r", "toggle_read", "Read", "Mark the paper read or unread", PAPER),
    Command(
        "day-read",
        "R",
        "day_read",
        "Mark all read",
        "Mark the digest day read (in a search or another list: the papers shown)",
        PAPER,
    ),
    Command(
        "undo",
        "u",
        "undo",
        "Undo",
        "Undo the last star, tag or read change (again: the one before)",
        PAPER,
    ),
    Command("note", "n", "note", "Note", "Edit the paper's note ($EDITOR when set)", PAPER),
    Command("similar", "m", "similar", "Similar", "List papers similar to this one", PAPER),
    Command("copy-link", "y", "copy_link", "Copy", "Copy the paper's main link", COPY, footer=True),
    Command(
        "copy-menu",
        "Y",
        "copy_menu",
        "Copy…",
        "Copy the link, PDF, arXiv id, Markdown link, BibTeX or title",
        COPY,
    ),
    Command(
        "copy-numbered",
        "1,2,3,4,5,6,7,8,9",
        "copy_numbered",
        "Copy link N",
        "Copy the Nth numbered link of the abstract pane",
        COPY,
        palette=False,
        key_display="1-9",
    ),
    Command("open", "o", "open", "Open", "Open the link (copies it over SSH)", COPY, footer=True),
    Command("open-pdf", "P", "open_pdf", "Open PDF", "Open the paper's PDF", COPY),
    Command(
        "open-menu",
        "O",
        "open_menu",
        "Open…",
        "Open the PDF (p) or a numbered link of the abstract pane (1-9)",
        COPY,
    ),
    Command(
        "search",
        "slash",
        "focus_search",
        "Search",
        "Search (see the query help)",
        VIEW,
        footer=True,
        priority=True,
    ),
    Command(
        "sidebar",
        "b,backslash",
        "toggle_sidebar",
        "Sidebar",
        "Days, tags and saved searches",
        VIEW,
        footer=True,
    ),
    Command("catch-up", "c", "catch_up", "Catch up", "Unread papers since the last session", VIEW),
    Command(
        "zoom",
        "enter,tab",
        "zoom",
        "Abstract",
        "Show the abstract full screen (again: back)",
        VIEW,
    ),
    Command(
        "back",
        "escape",
        "back",
        "Back",
        "Leave the full-screen abstract, then the search, then the filter",
        VIEW,
        palette=False,
    ),
    Command("all", "a", "show_all", "All papers", "Show every paper (clear filters)", VIEW),
    Command("export", "", "export", "Export…", "Export the current list to a file", APP),
    Command(
        "problems",
        "exclamation_mark",
        "problems",
        "Problems",
        'List what could not be read: file, line, message (or click "N problems")',
        APP,
    ),
    Command("theme", "ctrl+t", "next_theme", "Theme", "Switch to the next theme", APP),
    Command(
        "help", "question_mark", "help", "Help", "Keys and the query language", APP, footer=True
    ),
    Command("quit", "q", "quit", "Quit", "Quit (everything is already saved)", APP, footer=True),
)

BY_ID = {c.id: c for c in COMMANDS}


def bindings() -> list[Binding]:
    """The main screen's ``BINDINGS``. Commands with several keys that need the
    key itself (``1``-``9``) get one binding per key, ids ``copy-link-1``..."""
    out: list[Binding] = []
    for cmd in COMMANDS:
        if not cmd.keys:
            continue
        if cmd.id == "copy-numbered":
            for n in range(1, 10):
                out.append(
                    Binding(
                        str(n),
                        f"copy_numbered({n})",
                        f"Copy link {n}",
                        show=False,
                        id=f"copy-link-{n}",
                        tooltip=cmd.help,
                    )
                )
            continue
        out.append(cmd.binding())
    return out


def help_rows(keymap: Mapping[str, str] | None = None) -> Iterator[tuple[str, str, str]]:
    """``(group, keys, help)`` for every command, in definition order."""
    for cmd in COMMANDS:
        keys = cmd.shown_keys(keymap) if cmd.keys else "palette"
        yield cmd.group, keys, cmd.help
