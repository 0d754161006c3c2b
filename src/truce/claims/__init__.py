"""Claims: who said what, when, with which numbers, and whether the record bears it out."""
