"""Sources read bytes (files, the index, commits, blobs) and yield Chunks. They never match."""
