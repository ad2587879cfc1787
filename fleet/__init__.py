"""Distributed crawls: a shared queue in PostgreSQL (procrastinate), crawl workers on any number
of machines, and the coordinator of a nightly run (no Scrapy here: workers start crawl children).
"""
