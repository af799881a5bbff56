"""digest-reader: a keyboard-driven terminal reader for daily research-paper digests.

The core (everything but :mod:`reader.tui`) never imports Textual and never prints.
"""

from __future__ import annotations

__version__ = "0.1.0"
