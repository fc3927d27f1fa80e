"""RuleViolation: the refusals of auctions/rules.py as one exception forms and the API can render.

It is a ValidationError keyed by form field, so `form.add_error(None, violation)` puts every refusal
on its field, and every message starts with the rule ID ("PR1：…") so the user sees which law speaks.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from .rules import Refusal


class RuleViolation(ValidationError):
    """One or more rule refusals; nothing was saved."""

    def __init__(self, refusals: list[Refusal]):
        self.refusals = list(refusals)
        super().__init__(refusals_to_error_dict(self.refusals))

    @property
    def rules(self) -> list[str]:
        return [refusal.rule for refusal in self.refusals]

    def as_validation_error(self) -> ValidationError:
        return ValidationError(refusals_to_error_dict(self.refusals))


def refusals_to_error_dict(refusals: list[Refusal]) -> dict[str, list[ValidationError]]:
    """{field: [ValidationError("PR1：…", code=…)]}; a refusal without a field is a non-field error."""
    errors: dict[str, list[ValidationError]] = {}
    for refusal in refusals:
        key = refusal.field or NON_FIELD_ERRORS
        # No params: the message is already formatted and may contain a literal "%" (PR1, PR3).
        errors.setdefault(key, []).append(ValidationError(str(refusal), code=refusal.code))
    return errors
