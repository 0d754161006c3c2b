"""The tamper-evident log: an RFC 9162 Merkle tree over every write."""
