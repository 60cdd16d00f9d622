"""Maintenance scripts: generated documentation and project files."""
