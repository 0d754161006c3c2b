"""Checks of the whole record, above the domains: verify, and a party's audit and cosigning."""
