"""The Rasa project (config, domain, custom channel), its build/train helpers, and the Flask gateway."""


def create_app(test_config=None):
    """For `flask --app bot …` (e.g. `flask --app bot admin create-user NAME`): the gateway app.

    Imported lazily so that Rasa, which loads bot.plugins.channels, does not import Flask for nothing.
    """
    from bot.gateway import create_app as create_gateway

    return create_gateway(test_config)
