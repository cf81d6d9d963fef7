"""Plain data the control side owns: the project, its pads and their settings."""
