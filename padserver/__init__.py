"""padserver: an AI-fed loop machine played live from grid controllers and tablets."""

__version__ = "0.1.0"
