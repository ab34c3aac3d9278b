"""Foreign-related case files: case types, guidance with legal deadlines, documents, statements."""
