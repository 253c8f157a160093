"""A password hasher that counts its work, to prove every sign-in answer costs one hash."""

from __future__ import annotations

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingMD5PasswordHasher(MD5PasswordHasher):
    # Same algorithm name: the fixtures' stored hashes verify through this class.
    algorithm = "md5"
    calls = 0

    def encode(self, password: str, salt: str) -> str:
        type(self).calls += 1
        return super().encode(password, salt)
