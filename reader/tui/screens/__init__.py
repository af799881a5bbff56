"""Screens and dialogs of the reader, one per module."""
