"""Direct and group conversations, messages, read receipts, blocks and DM privacy."""
