"""The domain: pure rules, records, dates, text and errors. No I/O, no database, no screen."""
