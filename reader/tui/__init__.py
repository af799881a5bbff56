"""The Textual reader: the only package that imports ``textual``.

Entry point: :func:`reader.tui.app.run_app`.
"""
