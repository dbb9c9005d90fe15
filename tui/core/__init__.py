"""The UI-free core of sshdeck.

Nothing under ``tui.core`` may import Textual or Rich (a test checks it): everything here is
plain Python a script could use, returning frozen dataclasses and raising
:class:`tui.core.errors.SshDeckError` subclasses whose ``str()`` is a sentence for the user.
"""
