"""Helpers shared by the SCons build (SConstruct, site_tools) and the nox sessions."""

from tapbuild.errors import TapError

__all__ = ["TapError"]
