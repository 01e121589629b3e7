"""The web shell: server-rendered Jinja2 + HTMX pages, their shared rendering helpers and assets."""
