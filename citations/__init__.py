"""Citations: read a document, find every cited URL with its note and sentence."""
