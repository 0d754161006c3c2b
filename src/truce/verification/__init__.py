"""Joint verification: verdicts from several delegations turn a report into a confirmed fact, or not."""
