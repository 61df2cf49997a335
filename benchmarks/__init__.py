"""LANBoard's benchmark suite: a cheap load generator, a naive baseline server, a runner."""
