"""Scenario configuration: the TOML schema of every section, read and checked in one place."""
