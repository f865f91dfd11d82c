"""Widgets of the terminal UI: the paged actions table, the plan tree, the panels."""
