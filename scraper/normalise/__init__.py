"""Pure normalisation functions: URLs, dates, languages, text. No I/O, no Scrapy."""
