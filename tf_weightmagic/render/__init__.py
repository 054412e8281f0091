"""Pure functions from report records to text or HTML; they compute nothing."""
