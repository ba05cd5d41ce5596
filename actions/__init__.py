"""Custom actions for the rasa-sdk action server: thin wrappers around policy_kb."""
