"""Subcommands of the ``gazejax`` command (see ``gazejax.cli``)."""
