"""Slack: the entry layer (size, signature, payload shape), the Bolt app, and posting answers."""
