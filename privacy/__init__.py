"""Personal data over time: the retention policy, the task that applies it, and the right to erasure."""
