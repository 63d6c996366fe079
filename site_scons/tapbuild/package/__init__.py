"""The installer (NSIS) and the merge modules (MSM)."""
