"""The WSGI entry point: `waitress-serve --listen=127.0.0.1:8000 bot.gateway.wsgi:app`."""

from bot.gateway import create_app

app = create_app()
