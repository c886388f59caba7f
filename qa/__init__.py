"""Ask questions about a folder of documents, with exact citations."""
