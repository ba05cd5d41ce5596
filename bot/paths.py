"""Where the Rasa project's files live, relative to the repository root."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BOT = REPO / "bot"
CONFIG = BOT / "config.yml"
DOMAIN = BOT / "domain"
ENDPOINTS = BOT / "endpoints.yml"
CREDENTIALS = BOT / "credentials.yml"
JIEBA_TERMS = BOT / "jieba_terms.txt"
JIEBA_DICT_DIR = BOT / "jieba_userdict"
GENERATED_DOMAIN = DOMAIN / "generated_faq.yml"
NLU_DATA = REPO / "nlu_data"
GENERATED_CALCULATOR_DOMAIN = DOMAIN / "generated_calculators.yml"
GENERATED_CALCULATOR_RULES = NLU_DATA / "rules" / "generated_calculators.yml"
MODELS = REPO / "models"
VAR = REPO / "var"
