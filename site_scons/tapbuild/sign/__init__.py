"""Catalogs, Authenticode signing, RFC 3161 timestamps and verification."""
