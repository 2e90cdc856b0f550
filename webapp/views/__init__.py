"""The blueprints: search page, document pages, JSON API, widget/embed, admin."""
