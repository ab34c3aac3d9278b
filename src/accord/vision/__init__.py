"""Lawful vision: redaction of faces and plates before disclosure, crowd counts without
identities, and identification refused by design (issue 20)."""
