"""Outbound Slack: the pooled connection (Web API client, response_url posts) and what a failed answer
does (`failures`). A leaf: listeners use it without importing the Bolt app (bot.inbound)."""
