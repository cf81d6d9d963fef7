"""Projects: the whole performance state, saved safely and restored."""
