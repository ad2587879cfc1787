"""Item pipelines, in order: WARC evidence, extracted text, the snapshot row."""
