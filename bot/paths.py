"""Where the Rasa project's files live, relative to the repository root."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BOT = REPO / "bot"
CONFIG = BOT / "config.yml"
DOMAIN = BOT / "domain"
ENDPOINTS = BOT / "endpoints.yml"  # embedded: SQLite tracker and lock files on this machine
CLUSTER_ENDPOINTS = BOT / "endpoints-cluster.yml"  # PostgreSQL, Redis, replicas behind nginx
ENDPOINTS_VARIABLE = "HUIZE_ENDPOINTS"
CREDENTIALS = BOT / "credentials.yml"
JIEBA_TERMS = BOT / "jieba_terms.txt"
JIEBA_DICT_DIR = BOT / "jieba_userdict"
GENERATED_DOMAIN = DOMAIN / "generated_faq.yml"
NLU_DATA = REPO / "nlu_data"
GENERATED_CALCULATOR_DOMAIN = DOMAIN / "generated_calculators.yml"
GENERATED_CALCULATOR_RULES = NLU_DATA / "rules" / "generated_calculators.yml"
MODELS = REPO / "models"
VAR = REPO / "var"


def endpoints() -> Path:
    """The endpoints file Rasa runs with: HUIZE_ENDPOINTS (relative to the repository) or the embedded one."""
    chosen = os.environ.get(ENDPOINTS_VARIABLE)
    return REPO / chosen if chosen else ENDPOINTS
