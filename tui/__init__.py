"""sshdeck: SSH keys from generation to login, in the terminal.

Importing this package must stay cheap: the command line imports it for every call.
"""

__version__ = "0.1.0"
