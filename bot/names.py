"""What the bot is called in Slack, named once: the slash command and the handle people mention.

manifest.yml declares the same names (tests/test_manifest.py checks the command against what the app
registers); everything in bot/ that shows or registers them reads them from here.
"""

from typing import Final

SLASH_COMMAND: Final = "/har"
BOT_NAME: Final = "harbot"
BOT_HANDLE: Final = f"@{BOT_NAME}"
"""The bot user's display name after @, as people type it in a channel."""
