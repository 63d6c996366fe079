"""What the SCons build needs: options, toolchains, the PE gate, dist/ upkeep."""
