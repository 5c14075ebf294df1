"""Schemas: the core and CRD schema store, CRD converter, checks and kubeconform."""
