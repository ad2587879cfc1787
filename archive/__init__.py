"""The evidence: WARC files, extracted text, fetch outcomes. No Scrapy here: usable anywhere."""
