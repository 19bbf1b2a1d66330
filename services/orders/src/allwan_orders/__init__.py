"""Orders: the event-sourced orders of digital subscriptions (P1, C1, C3, K1, K2, T1-T3, A1)."""
