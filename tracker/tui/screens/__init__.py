"""The screens of the terminal UI: the main screen and its dialogs."""
