"""Baselines that `make eval` (bot/evaluate.py) compares our NLU pipeline with."""
