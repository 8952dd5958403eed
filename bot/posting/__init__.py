"""Telling channels what changed: stored events become posts (`fanout`), posts become Slack messages
(`poster`), and deliveries missed while the bot was away are read back from Harness (`catchup`).

```
delivery stored ──fanout.queue_posts──> posts (pending, one per channel and event, grouped by burst)
                                            │ Poster.run_once: claim with a lease, post at most ~1/s
                                            ▼ per channel, coalesce each burst into one message
                                     Slack: chat.postMessage / chat.update (+ the list in its thread)
```
"""
