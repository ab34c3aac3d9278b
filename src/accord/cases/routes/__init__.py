"""Web routes of this capability package (the web adapter over its services)."""
