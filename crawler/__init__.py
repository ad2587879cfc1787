"""The Scrapy machinery: settings, middlewares, pipelines, and the crawl child process."""
