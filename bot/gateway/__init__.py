"""The Flask gateway: chat page, chat API, WeChat Official Account endpoint, helpdesk console.

`create_app(test_config=None)`: defaults, then the instance folder's config.py, then environment
variables, then `test_config`. Blueprints are registered here.
"""
