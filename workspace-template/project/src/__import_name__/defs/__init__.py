"""Definitions of {{name}}, one module per topic."""
