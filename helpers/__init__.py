"""Helpers for the interactive CNN course."""
