"""Build, train, evaluate, benchmark and run: the developer's and operator's tools (python -m bot.tools.X)."""
