"""Signed unsubscribe links: ``/unsubscribe/<id>.<signature>``.

The token names one subscription and carries an HMAC-SHA256 of it under the app's own key
(:func:`paperradar.store.accounts.secret`, kept in the store), so it works without signing in,
forever, and cannot be made for another subscription. It is the whole authority of the
one-click unsubscribe (RFC 8058), which is why that POST needs no CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_PURPOSE = b"paperradar unsubscribe v1:"
_SIGNATURE_BYTES = 16  # 128 bits: plenty against guessing, and a short link


def _signature(key: bytes, subscription_id: int) -> str:
    mac = hmac.new(key, _PURPOSE + str(subscription_id).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:_SIGNATURE_BYTES]).decode().rstrip("=")


def unsubscribe_token(key: bytes, subscription_id: int) -> str:
    return f"{subscription_id}.{_signature(key, subscription_id)}"


def subscription_of(key: bytes, token: str) -> int | None:
    """The subscription a token names, or ``None`` when it was not signed with this key."""
    ident, _, signature = token.partition(".")
    if not ident.isdigit() or len(ident) > 12 or not signature:
        return None
    subscription_id = int(ident)
    if not hmac.compare_digest(signature.encode(), _signature(key, subscription_id).encode()):
        return None
    return subscription_id


def unsubscribe_url(base_url: str, key: bytes, subscription_id: int) -> str:
    return f"{base_url.rstrip('/')}/unsubscribe/{unsubscribe_token(key, subscription_id)}"
