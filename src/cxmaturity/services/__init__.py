"""Application functions: what a user can do, with permission checks, called alike by pages, the API and the CLI."""
