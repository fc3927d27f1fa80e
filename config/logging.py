"""Logging: personal data never reaches a log line, and lines are plain text or JSON (LOG_FORMAT).

`RedactPersonalData` is a handler filter: it renders each record's message, replaces citizen ID
numbers, mobile phone numbers and bank card/account numbers with their masked forms (lots/pii.py)
and stores the result as the record's message, so no formatter or handler downstream sees the
originals. Exception text is redacted the same way. `LOG_FORMAT=json` switches every line to one
JSON object (python-json-logger) for log shippers.
"""

import logging
import os
import re

# 18-character citizen ID (GB 11643) and the old 15-digit form; digit runs are bounded so longer
# numbers (bank cards, below) are not cut in two.
_ID_RE = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9Xx](?![0-9])")
# Mainland mobile numbers, with or without +86 and separators.
_PHONE_RE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")
# Bank card and account numbers: 16 to 19 digits, spaces allowed between groups of four.
_ACCOUNT_RE = re.compile(r"(?<![0-9])[0-9]{4}(?:[ -]?[0-9]{4}){3}(?:[ -]?[0-9]{1,3})?(?![0-9])")


def redact(text: str) -> str:
    """The text with every ID number, phone and account number masked (AN5 masking forms)."""
    from lots import pii  # settings import this module before the apps are ready

    text = _ID_RE.sub(lambda m: pii.mask_id_number(m.group()), text)
    text = _PHONE_RE.sub(lambda m: pii.mask_phone(m.group()), text)
    return _ACCOUNT_RE.sub(lambda m: pii.mask_account(m.group()), text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is rather than dropped
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(threadName)s %(message)s"


def logging_config(log_format: str | None = None, level: str | None = None) -> dict:
    """The LOGGING setting: one console handler with the redaction filter, plain or JSON."""
    log_format = (log_format or os.environ.get("LOG_FORMAT", "plain")).lower()
    if log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        }
    else:
        formatter = {"format": PLAIN_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact_personal_data": {"()": "config.logging.RedactPersonalData"}},
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["redact_personal_data"],
            }
        },
        "root": {"handlers": ["console"], "level": level or os.environ.get("LOG_LEVEL", "INFO")},
        "loggers": {
            "django.channels.server": {"level": "WARNING"},
            "daphne": {"level": "WARNING"},
        },
    }
