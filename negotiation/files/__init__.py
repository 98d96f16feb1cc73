"""Reading and writing files: the YAML reader that locates every value, the file formats'
schemas, and the one writer of output files."""
