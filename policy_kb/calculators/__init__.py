"""Rules as code: eligibility and amounts, read from policy_kb/parameters for an "as of" date."""
