"""Accord's web layer: FastAPI routers, Jinja2 templates and htmx, server-rendered."""
