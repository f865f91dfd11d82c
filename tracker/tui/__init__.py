"""The terminal UI: a Textual app over the store. Only this package imports Textual."""
