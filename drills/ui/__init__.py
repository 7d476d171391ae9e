"""The Textual consoles: trainee, trainer and review. Built by ``make_app``."""
