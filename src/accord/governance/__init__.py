"""Public accountability: the transparency register (and later rights requests, DPO console)."""
