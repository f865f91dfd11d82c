"""Files in and out: plan TOML, spreadsheets, CSV snapshots, iCalendar, output files."""
