"""Procedure and knowledge lookup: numbered passages, always quoted verbatim with their citation.

Officers ask in Chinese or English; the ``knowledge.lookup`` capability returns the best
passages word for word with citation, status, score and source link, or says that no passage was
found and offers the legal officer's queue. Nothing here writes prose of its own.
"""
