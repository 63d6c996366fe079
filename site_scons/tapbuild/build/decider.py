"""The build's up-to-date decider: SCons's content-timestamp, safe within a second.

SCons's ``content-timestamp`` takes a file whose recorded timestamp is unchanged as unchanged,
without reading it. It records whole seconds, so an edit made within the same second as the
file's record (an editor saving twice, a script, a fast test) would be missed. The rule git
uses for its index ("racily clean" entries) closes that gap: a file whose timestamp is not
strictly older than the target built from it was possibly changed after it was recorded, so
its content decides. Every other file is decided by its timestamp first, then its content, as
``content-timestamp`` does: a no-op build reads no source, and a touched file rebuilds nothing.
"""

from __future__ import annotations

from typing import Any

import SCons.Node.FS


def content_timestamp(dependency: Any, target: Any, prev_ni: Any, repo_node: Any = None) -> bool:
    """Whether ``dependency`` changed since ``target`` was built (an SCons decider function)."""
    if not isinstance(dependency, SCons.Node.FS.File):
        return bool(dependency.changed_content(target, prev_ni, repo_node))
    # The record was written after the target (SCons stores it once the target is built), so
    # a dependency from a second before the target's cannot have changed unseen since.
    if dependency.get_timestamp() < target.get_timestamp():
        return bool(dependency.changed_timestamp_then_content(target, prev_ni, repo_node))
    return bool(dependency.changed_content(target, prev_ni, repo_node))
