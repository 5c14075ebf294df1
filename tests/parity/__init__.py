"""Parity tests: mlscaffold against Backstage's real code, run through Node."""
