"""`ws dev`: the watch session, a code server per project and its processes, and the events."""
