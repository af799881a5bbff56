"""Fetching today's papers: Hugging Face Daily Papers, arXiv RSS and the arXiv API.

One module, one job:

* :mod:`reader.fetch.sources` - the ``fetch:`` section of the config, validated;
* :mod:`reader.fetch.http` - the polite HTTP client (User-Agent, timeouts,
  retries, ``Retry-After``, conditional requests, the arXiv budget);
* :mod:`reader.fetch.ratelock` - the arXiv spacing shared by every process;
* :mod:`reader.fetch.hf`, :mod:`reader.fetch.arxiv_rss`,
  :mod:`reader.fetch.arxiv_query` - one per source kind: requests in, raw
  records grouped by day out;
* :mod:`reader.fetch.store` - merges a fetched day into
  ``digests/<source>/<date>.<ext>`` without ever shrinking it;
* :mod:`reader.fetch.run` - :func:`~reader.fetch.run.fetch_sources`, what the
  CLI and the app call.

This package is imported by :mod:`reader.config` (for the config section only),
so nothing here imports httpx at package level.
"""
