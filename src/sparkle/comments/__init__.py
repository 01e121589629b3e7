"""Threaded comments on posts: `service` holds the rules, `router` the `/api` endpoints."""
