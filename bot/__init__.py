"""The Rasa project (config, domain, custom channel) and its build/train helpers."""
