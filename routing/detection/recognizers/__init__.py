"""Presidio recognizers for every entity of the contract."""
