"""The crawl split over machines (``monitor worker``, ``monitor ingest``): a shared Redis
queue, leased requests, and the one writer."""
