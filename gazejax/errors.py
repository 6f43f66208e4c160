"""How an exception raised inside a library becomes the one line a user is shown."""


def first_line(error):
    """The first line of ``error``'s message, or its type's name when the message is empty."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
