"""The governed gateway: the one path every AI capability is called through."""
