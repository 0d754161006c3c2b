"""The secret an account keeps for HTTP Digest logins (RFC 7616): H(username:realm:password) per algorithm.

Pure: the account's side of Digest. Checking an answer (`truce.openrosa.digest`) reads these; users/ computes
and stores them, and imports nothing of the OpenRosa server.
"""

from __future__ import annotations

import hashlib

# One realm for the whole server, not one per mission: the stored H(username:realm:password) is then one value
# per account and algorithm, and a password change replaces it in one place.
REALM = "Truce"
# Offered in this order: okhttp-digest (ODK Collect) answers the first Digest challenge, and speaks MD5.
# MD5 is weak, but it is what the protocol and the clients use; the hash names are hashlib's.
ALGORITHMS = {"MD5": "md5", "SHA-256": "sha256"}


def ha1(algorithm: str, username: str, password: str, realm: str = REALM) -> str:
    """H(username:realm:password): what the server keeps to check answers; as good as the password here."""
    return hex_digest(algorithm, f"{username}:{realm}:{password}")


def hex_digest(algorithm: str, text: str) -> str:
    """H(text) in hexadecimal, with the Digest algorithm's hash (`MD5` or `SHA-256`)."""
    return hashlib.new(ALGORITHMS[algorithm], text.encode("utf-8")).hexdigest()
