"""Document readers: one per format, each returning DocumentParts."""
