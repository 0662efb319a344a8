"""Offline building blocks for the environment tests: a build backend, local wheels, projects."""
