"""The notifications service: turns events into e-mail, from one folder of templates."""
