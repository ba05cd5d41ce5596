"""The HTTP contract between the gateway (bot/gateway/rasa_client.py) and our REST channel in Rasa
(bot/plugins/channels.py). Plain constants, so that the gateway need not import Rasa to know them.

The gateway asks for what the NLU understood and which actions ran (for the transcripts) with the
request header; the answer comes back in a response header, so plain REST clients see no change.
"""

WEBHOOK = "/webhooks/rest/webhook"
TURN_INFO_REQUEST = "X-Want-Turn-Info"
TURN_INFO_HEADER = "X-Turn-Info"
