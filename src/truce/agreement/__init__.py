"""The agreement: provisions, their deadlines and implementation status."""
