"""Differential tests: lrplan's torch-named schedulers against torch's own."""
