"""The playground: the real bot in a page that looks like Slack, for trying it before any Slack app exists.

`make run` without Slack credentials (or `python -m bot --mode playground`) starts it. Every message
typed in the page becomes the signed request Slack would send to the real app's `POST /slack/events`;
the app answers through a stand-in Slack Web API and response URLs served by the playground, which
draws the answers as Slack would. Without HARNESS_API_KEY, a sandbox Harness holds made-up registries.

Modules: `server` (wiring), `slack` (Slack's side, on the Slack stand-in of devtools/slack.py),
`modals` (Slack's side of the Home tab and modals), `workspace` (conversations and wire formats),
`views` (views, their state and their payloads), `render` (Block Kit → HTML; `mrkdwn` for Slack text),
`page` (the page's HTML),
`launch` (how `python -m bot` runs it; bot/modes.py decides when). The sandbox Harness is the Harness
stand-in (devtools/harness.py) with the data set of devtools/registries.py. The page's files are in
`static/`.
"""

from __future__ import annotations

from devtools.playground.server import Playground

__all__ = ["Playground"]
