"""The command lines of the nox sessions (sign, package, release)."""
