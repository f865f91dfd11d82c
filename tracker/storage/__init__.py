"""The store: where it is, its tables, the engine, reads and writes with history, backup."""
