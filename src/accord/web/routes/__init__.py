"""Routers, one module per area; each declares its access rule once at router level."""
