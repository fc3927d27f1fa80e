"""Disclosure a court fills for a lot (issue 9): transfer taxes and fees, and banks offering loans.

Both are lists of rows. One field class validates them for the console form (rows of inputs named
`taxes-0-item` …) and for the court API (a JSON list of objects): every row through a small form,
every error on the list's field naming the row. Rates and loan-to-value are Decimal percentages
within fixed ranges; a JSON float is refused, as for amounts (never a float).
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

MAX_ROWS = 8
MAX_TAX_RATE = Decimal("100")  # percent of the price
MAX_LTV = Decimal("80")  # percent; commercial banks do not lend more on auctioned property
MAX_LOAN_RATE = Decimal("24")  # percent a year


class PercentField(forms.DecimalField):
    """A percentage as a decimal string or integer ("3", "5.6"); a JSON float is refused."""

    default_error_messages = {
        "invalid": _("请输入百分比数值，例如 3 或 5.6。"),
        "float": _("比例请以字符串或整数提交，不接受浮点数。"),
    }

    def __init__(self, *, low: Decimal, high: Decimal, low_inclusive: bool = True, **kwargs):
        self.low, self.high, self.low_inclusive = low, high, low_inclusive
        kwargs.setdefault("max_digits", 7)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, float):
            raise ValidationError(self.error_messages["float"], code="float")
        if isinstance(value, bool):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        too_low = value < self.low if self.low_inclusive else value <= self.low
        if too_low or value > self.high:
            bound = _("大于") if not self.low_inclusive else _("不小于")
            raise ValidationError(
                _("须%(bound)s %(low)s%%且不超过 %(high)s%%。"),
                code="out_of_range",
                params={"bound": bound, "low": self.low, "high": self.high},
            )


class TaxRow(forms.Form):
    PAYERS = [
        ("buyer", _("买受人承担")),
        ("seller", _("被执行人承担")),
        ("each", _("按法律规定各自承担")),
    ]
    item = forms.CharField(label=_("税费项目"), max_length=40)
    rate = PercentField(label=_("税率（%）"), low=Decimal("0"), high=MAX_TAX_RATE, required=False)
    payer = forms.ChoiceField(label=_("承担方"), choices=PAYERS)
    note = forms.CharField(label=_("说明"), max_length=100, required=False)


class LoanRow(forms.Form):
    bank = forms.CharField(label=_("银行"), max_length=60)
    max_ltv = PercentField(label=_("最高贷款成数（%）"), low=Decimal("0"), low_inclusive=False, high=MAX_LTV)
    rate = PercentField(label=_("年利率（%）"), low=Decimal("0"), low_inclusive=False, high=MAX_LOAN_RATE)


PAYER_LABELS = dict(TaxRow.PAYERS)


class RowsWidget(forms.Widget):
    """A table of inputs, one row per entry plus blank rows to add more; reads a JSON list as is."""

    def __init__(self, row_form: type[forms.Form], blank_rows: int = 2, attrs=None):
        super().__init__(attrs)
        self.row_form = row_form
        self.blank_rows = blank_rows

    def value_from_datadict(self, data, files, name):
        if name in data:  # the API: a list of objects (anything else is refused by the field)
            return data[name]
        rows = []
        for index in range(MAX_ROWS):
            row = {column: data.get(f"{name}-{index}-{column}", "") for column in self.row_form.base_fields}
            if any(str(value).strip() for value in row.values()):
                rows.append(row)
        return rows

    def value_omitted_from_data(self, data, files, name):
        return False

    def render(self, name, value, attrs=None, renderer=None):
        rows = value if isinstance(value, list) else []
        rows = [row for row in rows if isinstance(row, dict)]
        count = min(MAX_ROWS, len(rows) + self.blank_rows)
        fields = self.row_form.base_fields
        head = format_html_join("", "<th scope='col'>{}</th>", ((field.label,) for field in fields.values()))
        body = []
        for index in range(count):
            row = rows[index] if index < len(rows) else {}
            cells = []
            for column, field in fields.items():
                cell_name = f"{name}-{index}-{column}"
                current = row.get(column) or ""
                if isinstance(field, forms.ChoiceField):
                    options = format_html_join(
                        "",
                        "<option value='{}'{}>{}</option>",
                        (
                            (choice, " selected" if str(choice) == str(current) else "", label)
                            for choice, label in [("", "—"), *field.choices]
                        ),
                    )
                    cells.append(
                        format_html(
                            "<td><select name='{}' aria-label='{}'>{}</select></td>", cell_name, field.label, options
                        )
                    )
                else:
                    cells.append(
                        format_html(
                            "<td><input type='text' name='{}' value='{}' aria-label='{}'></td>",
                            cell_name,
                            current,
                            field.label,
                        )
                    )
            body.append(format_html("<tr>{}</tr>", format_html_join("", "{}", ((cell,) for cell in cells))))
        return format_html(
            "<div class='rows-input' id='{}'><table><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>",
            (attrs or {}).get("id", name),
            head,
            format_html_join("", "{}", ((row,) for row in body)),
        )


class RowsField(forms.Field):
    """A list of rows, each validated by `row_form`; returns clean dicts with Decimal values as strings."""

    accepts_list = True  # the API passes a JSON list through (lots/api.py form_data)
    default_error_messages = {
        "not_list": _("应为由对象组成的列表。"),
        "too_many": _("最多 %(max)s 项。"),
    }

    def __init__(self, row_form: type[forms.Form], **kwargs):
        self.row_form = row_form
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", RowsWidget(row_form))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in (None, ""):
            return []
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise ValidationError(self.error_messages["not_list"], code="not_list")
        if len(value) > MAX_ROWS:
            raise ValidationError(self.error_messages["too_many"], code="too_many", params={"max": MAX_ROWS})
        cleaned, errors = [], []
        for number, raw in enumerate(value, start=1):
            unknown = set(raw) - set(self.row_form.base_fields)
            row = self.row_form(data={key: val for key, val in raw.items() if val is not None})
            if unknown:
                errors.append(
                    ValidationError(
                        _("第%(n)s项：未知字段 %(names)s。"),
                        code="unknown_field",
                        params={"n": number, "names": ", ".join(sorted(unknown))},
                    )
                )
            if not row.is_valid():
                for name, messages in row.errors.items():
                    label = row.fields[name].label if name in row.fields else name
                    for message in messages:
                        errors.append(
                            ValidationError(
                                _("第%(n)s项 %(label)s：%(message)s"),
                                code="invalid_row",
                                params={"n": number, "label": label, "message": message},
                            )
                        )
                continue
            cleaned.append(
                {
                    key: (str(val) if isinstance(val, Decimal) else val)
                    for key, val in row.cleaned_data.items()
                    if val not in (None, "")
                }
            )
        if errors:
            raise ValidationError(errors)
        return cleaned

    def prepare_value(self, value):
        return value
