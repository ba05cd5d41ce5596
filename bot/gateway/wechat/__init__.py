"""The WeChat Official Account endpoint: views (the /wechat blueprint), adapter (wechatpy: signatures,
encryption, XML), flow (a message to an answer), text (answers cut for WeChat), state and dedupe (the
messages already seen), degraded (answers while the transcripts database is down)."""
