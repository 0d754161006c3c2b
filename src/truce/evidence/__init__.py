"""Evidence files: a content-addressed store, and what a file is and carries."""
