"""Dispatch's web adapter: pages, JSON API, live board stream and public alerts."""
