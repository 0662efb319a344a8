"""Deployment: the files that run the workspace's Dagster projects elsewhere (`ws export`)."""
