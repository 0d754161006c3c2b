"""Jobs asked for from the pages or the API (daily reports, exports): a row a worker runs, never the request."""
