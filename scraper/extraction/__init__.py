"""Reading an article page: pure functions from HTML to raw values (``page.extract_page``),
with one small reader a field: the headline, the dates, the bylines, the charset. Nothing here
knows of Scrapy or the database."""
