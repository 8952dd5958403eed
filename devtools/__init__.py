"""Development tools, in the source checkout only (the wheel ships `bot` alone): one Slack stand-in
(`slack`), one Harness stand-in (`harness`, with the sandbox data set in `registries`), and the
playground that puts the real bot behind a Slack-like page (`playground`). Tests, the benchmark and the
playground all use these.
"""
