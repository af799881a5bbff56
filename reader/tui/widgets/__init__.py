"""Widgets of the reader, one per module."""
