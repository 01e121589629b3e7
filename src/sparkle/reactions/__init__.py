"""Reactions on posts and comments: `service` holds the rules, `router` the `/api` endpoints."""
