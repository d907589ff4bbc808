"""Signed links in digest emails: ``/unsubscribe/<id>.<signature>`` in every digest, and
``/confirm/<id>.<signature>`` in the email that asks an address's owner to confirm a subscription.

A token names one subscription and carries an HMAC-SHA256 of it under the app's own key
(:func:`paperradar.store.accounts.secret`, kept in the store), so it works without signing in and
cannot be made for another subscription. Each kind of link signs with its own purpose, so one can
never stand for the other. The unsubscribe token works forever; it is the whole authority of the
one-click unsubscribe (RFC 8058), which is why that POST needs no CSRF token. The confirm token
also signs the address it was sent to: once a subscription moves to another address, the links
sent to the old one confirm nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_UNSUBSCRIBE = b"paperradar unsubscribe v1:"
_CONFIRM = b"paperradar confirm v1:"
_SIGNATURE_BYTES = 16  # 128 bits: plenty against guessing, and a short link


def _signature(key: bytes, purpose: bytes, signed: str) -> str:
    mac = hmac.new(key, purpose + signed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:_SIGNATURE_BYTES]).decode().rstrip("=")


def _confirm_signed(subscription_id: int, email: str) -> str:
    return f"{subscription_id}:{email.strip().lower()}"


def token_id(token: str) -> int | None:
    """The subscription a token says it names, before any check of its signature (``None``: not
    shaped like a token)."""
    ident, _, signature = token.partition(".")
    if not ident.isdigit() or len(ident) > 12 or not signature:
        return None
    return int(ident)


def _valid(token: str, expected: str) -> bool:
    return hmac.compare_digest(token.partition(".")[2].encode(), expected.encode())


def unsubscribe_token(key: bytes, subscription_id: int) -> str:
    return f"{subscription_id}.{_signature(key, _UNSUBSCRIBE, str(subscription_id))}"


def subscription_of(key: bytes, token: str) -> int | None:
    """The subscription an unsubscribe token names, or ``None`` when it was not signed with this key."""
    subscription_id = token_id(token)
    if subscription_id is None or not _valid(token, _signature(key, _UNSUBSCRIBE, str(subscription_id))):
        return None
    return subscription_id


def unsubscribe_url(base_url: str, key: bytes, subscription_id: int) -> str:
    return f"{base_url.rstrip('/')}/unsubscribe/{unsubscribe_token(key, subscription_id)}"


def confirm_token(key: bytes, subscription_id: int, email: str) -> str:
    """The token of the link that confirms ``email`` for the subscription."""
    return f"{subscription_id}.{_signature(key, _CONFIRM, _confirm_signed(subscription_id, email))}"


def confirms(key: bytes, token: str, subscription_id: int, email: str) -> bool:
    """Whether ``token`` was signed with this key for this subscription at this address."""
    if token_id(token) != subscription_id:
        return False
    return _valid(token, _signature(key, _CONFIRM, _confirm_signed(subscription_id, email)))


def confirm_url(base_url: str, key: bytes, subscription_id: int, email: str) -> str:
    return f"{base_url.rstrip('/')}/confirm/{confirm_token(key, subscription_id, email)}"
