"""Submission cabinets, attestation-signed drivers, installing on Windows."""
