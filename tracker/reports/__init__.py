"""The board paper: its content from the store, written as Markdown or HTML."""
