"""Baselines that `make eval` (bot/tools/evaluate.py) compares our NLU pipeline with."""
