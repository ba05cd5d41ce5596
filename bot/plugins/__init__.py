"""Code Rasa loads by name from config, endpoints and credentials: the REST channel and its text handling,
the tracker and lock stores, and the measured fixes inside Rasa."""
