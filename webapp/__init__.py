"""HTTP → calls on `index/`: the Flask UI, the JSON API, the widget, and the `gongwen` command."""
