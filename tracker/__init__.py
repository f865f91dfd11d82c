"""tracker: an Ofsted improvement plan tracker for the terminal."""

__version__ = "0.1.0"
