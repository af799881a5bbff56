"""Every command of the main screen, defined once.

A :class:`Command` yields the key binding (with its ``id``, so the config's
``keymap:`` can change its keys), the footer entry, the help-screen row and the
command-palette entry. Nothing else in the UI lists keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType


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
        """The keys as the user types them, after the keymap: without a key
        another command took (Textual drops it from this one); "no key" when
        none is left, "palette only" for a command that never had one."""
        if not self.keys:
            return "palette only"
        keys = effective_keys(keymap).get(self.id, [])
        if not keys:
            return "no key"
        if self.key_display and self.id not in (keymap or {}):
            default = [k.strip() for k in self.keys.split(",")]
            if keys == default:
                return self.key_display
        return ", ".join(key_shown(k) for k in keys)


def key_shown(key: str) -> str:
    """One key as the help shows it: ``[`` for ``left_square_bracket``,
    ``Ctrl+T`` for ``ctrl+t`` (the palette's own key reads ``Ctrl+P``)."""
    if key.startswith("ctrl+"):
        rest = key.removeprefix("ctrl+")
        return f"Ctrl+{rest.upper() if len(rest) == 1 else KEY_NAMES.get(rest, rest)}"
    return KEY_NAMES.get(key, key)


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
    Command(
        "cursor-down",
        "j,down",
        "cursor_down",
        "Down",
        "Next paper (a count first moves that many: 5j)",
        NAV,
        palette=False,
    ),
    Command(
        "cursor-up",
        "k,up",
        "cursor_up",
        "Up",
        "Previous paper (10k: ten up)",
        NAV,
        palette=False,
    ),
    Command("page-down", "pagedown", "page_down", "Page down", "A page down", NAV, palette=False),
    Command("page-up", "pageup", "page_up", "Page up", "A page up", NAV, palette=False),
    Command("first", "g,home", "first", "First", "The first paper of the list", NAV),
    Command("last", "G,end", "last", "Last", "The last paper of the list (10G: the tenth)", NAV),
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
        "next-unread",
        "N",
        "next_unread",
        "Next unread",
        "The next unread paper (then the next day with unread papers)",
        NAV,
    ),
    Command(
        "abstract-down",
        "space,J",
        "abstract_down",
        "Scroll abstract",
        "Scroll the abstract a page down",
        NAV,
        palette=False,
    ),
    Command(
        "abstract-up",
        "K,shift+space",
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
        "l",
        "then_number('copy_numbered')",
        "Copy link N",
        "l then 1-9: copy that numbered link of the abstract pane (l 3: link [3])",
        COPY,
        palette=False,
        key_display="l 1-9",
        priority=True,
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
    Command(
        "sort",
        "S",
        "cycle_sort",
        "Sort",
        "Change the list's order: newest, upvotes, title (and back to the search's own)",
        VIEW,
    ),
    Command(
        "new-papers",
        "w",
        "app.new_papers",
        "New papers",
        "The papers new since the last fetch or reload",
        VIEW,
    ),
    Command(
        "fetch",
        "F",
        "app.fetch",
        "Fetch",
        "Fetch today's papers from the configured sources (docs/fetch.md)",
        APP,
    ),
    Command(
        "reload",
        "ctrl+r",
        "app.reload",
        "Reload",
        "Read the library again (digests added by another program)",
        APP,
    ),
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


def bindings() -> list[BindingType]:
    """The main screen's ``BINDINGS``. Digits are not bound: typed before a
    move they are its count (``5j``), and after ``l`` the link number; the
    main screen reads them as they come."""
    return [cmd.binding() for cmd in COMMANDS if cmd.keys]


def effective_keys(keymap: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """Each main-screen command's keys after the keymap, as Textual applies
    it: a remapped command has the keymap's keys, and a key it takes is gone
    from every command the keymap leaves alone (``star: "j"``: cursor-down
    keeps only ``down``)."""
    keymap = keymap or {}
    out = {
        cmd.id: [k.strip() for k in keymap.get(cmd.id, cmd.keys).split(",") if k.strip()]
        for cmd in COMMANDS
        if cmd.keys
    }
    taken = {k for bid, keys in out.items() if bid in keymap for k in keys}
    for bid, keys in out.items():
        if bid not in keymap:
            out[bid] = [k for k in keys if k not in taken]
    return out


def help_rows(keymap: Mapping[str, str] | None = None) -> Iterator[tuple[str, str, str]]:
    """``(group, keys, help)`` for every command, in definition order."""
    for cmd in COMMANDS:
        keys = cmd.shown_keys(keymap) if cmd.keys else f"Ctrl+P → {cmd.title.rstrip('…')}"
        yield cmd.group, keys, cmd.help
