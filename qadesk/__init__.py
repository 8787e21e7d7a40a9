"""QA Desk: quality assurance of children's social care case work, on the desktop."""

__version__ = "0.1.0"
APP_NAME = "QA Desk"
APP_ID = "qadesk"
ORGANISATION = "QA Desk"
