"""Hostile payloads shared by the hostile-input tests, and the generator of the
fixture digests in ``tests/fixtures/hostile/``.

Every payload carries a marker (``PWNED...``) so a test can look for it in the
raw bytes a program wrote: a marker that appears right after an ESC (or inside
an OSC 52 / DCS) means a sequence from a digest reached the terminal.

Run ``python tests/helpers/hostile_payloads.py`` to rewrite the fixtures
(``tests/test_hostile.py`` checks they are in sync with this file).
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import yaml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"

#: base64 of "PWNED-CLIP": what an OSC 52 from a digest would put on the clipboard.
CLIP_B64 = base64.b64encode(b"PWNED-CLIP").decode()
#: "PWNED" in hex, as an XTGETTCAP request (DCS + q) would carry it.
DCS_HEX = b"PWNED".hex()

#: (name, payload): escape sequences that must never reach the terminal.
SEQUENCES: list[tuple[str, str]] = [
    ("osc0 title, ST", "\x1b]0;PWNED-TITLE0\x1b\\"),
    ("osc2 title, BEL", "\x1b]2;PWNED-TITLE2\x07"),
    ("osc52 clipboard", f"\x1b]52;c;{CLIP_B64}\x07"),
    ("osc52 in tmux passthrough", f"\x1bPtmux;\x1b\x1b]52;c;{CLIP_B64}\x07\x1b\\"),
    ("clear screen", "\x1b[2J\x1b[HPWNED-CLEAR"),
    ("8-bit CSI", "\x9b31mPWNED-RED"),
    ("device status report", "\x1b[6nPWNED-DSR"),
    ("DCS XTGETTCAP", f"\x1bP+q{DCS_HEX}\x1b\\"),
    ("8-bit OSC, 8-bit ST", "\x9d0;PWNED-8BIT\x9c"),
    ("OSC 8 hyperlink", "\x1b]8;;http://pwned.example/\x1b\\PWNED-LINK\x1b]8;;\x1b\\"),
    ("APC", "\x1b_PWNED-APC\x1b\\"),
    ("PM", "\x1b^PWNED-PM\x1b\\"),
    ("SOS", "\x1bXPWNED-SOS\x1b\\"),
    ("full reset", "\x1bcPWNED-RIS"),
    ("unterminated OSC 8", "\x1b]8;;http://x PWNED-OPEN"),
]

#: Byte strings that must never appear in what the reader writes to a terminal.
FORBIDDEN_BYTES: list[bytes] = [
    b"\x1b]0;PWNED",
    b"\x1b]2;PWNED",
    b"\x1b]52;",  # the reader is never asked to copy in these tests
    CLIP_B64.encode(),
    b"\x1bPtmux;",
    DCS_HEX.encode(),
    b"\x1b[2JPWNED",
    b"\x1b[HPWNED",
    b"\x1b[6nPWNED",
    b"\x1bcPWNED",
    b"\x1b]8;;http://pwned",
    b"\x1b]8;;http://x",
    b"\x1b_PWNED",
    b"\x1b^PWNED",
    b"\x1bXPWNED",
    b"PWNED-8BIT",
    b"PWNED-APC",
    b"PWNED-PM",
    b"PWNED-SOS",
    "\u009b".encode(),  # C1 controls, UTF-8 encoded
    "\u009d".encode(),
    "\u0090".encode(),
    "\u009c".encode(),
    "\u202e".encode(),  # bidi override
    "\u2066".encode(),
]

#: Markup that Textual/Rich would parse: it must be shown literally.
MARKUP_TITLE = (
    "Brackets [/] [b][/i] [@click=app.quit]x[/] [link=file:///etc/passwd]y[/link] cost [$5] x\\"
)
#: Links the reader must never open (and never keep as links).
BAD_LINKS = ["ssh://h/cmd", "file:///etc/passwd", "javascript:alert(1)"]


def _paper(
    pid: str, title: str, abstract: str, tags: list[str], **extra: object
) -> dict[str, object]:
    paper: dict[str, object] = {"id": pid, "title": title, "authors": ["Ada \x1b[31mLovelace"]}
    paper["abstract"] = abstract
    paper["tags"] = tags
    paper.update(extra)
    return paper


def native_digest() -> dict[str, object]:
    """The native YAML digest: every payload in titles, abstracts, tags and links."""
    seqs = dict(SEQUENCES)
    papers = [
        _paper(
            "2509.90001",
            "Tapir " + seqs["osc0 title, ST"] + "Title Attack",
            "Abstract one "
            + seqs["osc52 clipboard"]
            + seqs["osc52 in tmux passthrough"]
            + " and "
            + seqs["clear screen"]
            + " then "
            + seqs["8-bit CSI"]
            + " end.",
            ["cs.AI" + seqs["osc2 title, BEL"], "tag\u202eevil"],
            links={"abs": "https://arxiv.org/abs/2509.90001", "other": BAD_LINKS[0]},
        ),
        _paper(
            "2509.90002",
            "Marmot \x07Bell\x00Nul\x7fDel \x1b]2;PWNED-SHOWN",
            "Abstract two "
            + seqs["device status report"]
            + " "
            + seqs["DCS XTGETTCAP"]
            + " "
            + seqs["8-bit OSC, 8-bit ST"]
            + " "
            + seqs["OSC 8 hyperlink"]
            + " "
            + seqs["unterminated OSC 8"]
            + "\n\n[click me](javascript:alert(1)) "
            "and [a file](file:///etc/passwd).",
            ["q-bio" + seqs["APC"]],
            links=[
                BAD_LINKS[1],
                BAD_LINKS[2],
                "https://example.org/\x1b]52;c;" + CLIP_B64 + "\x07",
            ],
        ),
        _paper(
            "2509.90003",
            MARKUP_TITLE,
            "Abstract three "
            + seqs["PM"]
            + seqs["SOS"]
            + seqs["full reset"]
            + " abc\u202etxt \u2066isolate\u2069 Zalgo: Z"
            + "\u0301" * 2000
            + " done.",
            ["[/]", "[@click=app.quit]q"],
        ),
    ]
    return {
        "title": "Hostile \x1b]0;PWNED-DIGEST\x07 digest",
        "date": "2025-09-09",
        "source": "tests/fixtures/hostile",
        "papers": papers,
    }


def hf_digest() -> list[dict[str, object]]:
    """The same kind of payloads in the Hugging Face JSON shape."""
    seqs = dict(SEQUENCES)
    return [
        {
            "paper": {
                "id": "2509.90004",
                "title": "Okapi " + seqs["osc2 title, BEL"] + " From JSON",
                "summary": "JSON abstract " + seqs["osc52 clipboard"] + seqs["8-bit OSC, 8-bit ST"],
                "authors": [{"name": "Grace \x9b7mHopper"}],
                "publishedAt": "2025-09-08T00:00:00.000Z",
                "upvotes": 3,
                "ai_keywords": ["kw" + seqs["clear screen"]],
                "githubRepo": "https://github.com/example/okapi\x1b]0;PWNED-REPO\x07",
            },
            "title": "Okapi " + seqs["osc2 title, BEL"] + " From JSON",
            "publishedAt": "2025-09-08T08:00:00.000Z",
            "numComments": 1,
        }
    ]


def yaml_text(data: object) -> str:
    """YAML with every control character written as an escape in a
    double-quoted string (``"\\e]0;..."``), so the file itself stays printable."""
    body = yaml.safe_dump(data, allow_unicode=False, sort_keys=False, width=100)
    return (
        "# Hostile digest for tests/test_hostile.py and tests/test_pty.py (generated by\n"
        "# tests/helpers/hostile_payloads.py; do not edit by hand).\n" + body
    )


def fixture_files() -> dict[str, str]:
    return {
        "2025-09-09-hostile.yaml": yaml_text(native_digest()),
        "2025-09-08.json": json.dumps(hf_digest(), indent=1, ensure_ascii=True) + "\n",
    }


def write_fixtures(folder: Path = FIXTURES) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in fixture_files().items():
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_fixtures(Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURES)
