"""Inbound Slack: the entry layer (size, signature, payload shape) and the Bolt app that registers the
listeners. Nothing below it imports it; what goes back to Slack is in bot.slack."""
