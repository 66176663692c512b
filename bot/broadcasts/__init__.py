"""Admin broadcasts (お知らせ配信): drafts, audiences, two-person approval, a durable outbox, acknowledgements."""
