"""Use cases: a Session comes in, plain results go out. What the window and the CLI both call."""
