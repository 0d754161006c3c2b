"""Daily situation reports and public bulletins: built from the record, rendered, stored and logged."""
