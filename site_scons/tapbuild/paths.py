"""The top of the source tree (the folder that holds SConstruct), computed once."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
