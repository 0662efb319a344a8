"""The {{name}} project."""
