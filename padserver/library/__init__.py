"""The loop library: an SQLite index plus audio files, import, analysis and search."""
