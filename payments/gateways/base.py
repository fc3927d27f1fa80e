"""What providers without a separate capture step share."""

from decimal import Decimal

from ..interface import RemotePayment


class NothingToCapture:
    """For providers whose payment is complete when it is made (the sandbox) or when the money
    lands (a bank transfer): capture and cancel only report the current state."""

    def retrieve_payment(self, ref: str) -> RemotePayment:
        raise NotImplementedError

    def capture(self, ref: str, key: str, amount: Decimal) -> RemotePayment:
        return self.retrieve_payment(ref)

    def cancel(self, ref: str, key: str) -> RemotePayment:
        return self.retrieve_payment(ref)
