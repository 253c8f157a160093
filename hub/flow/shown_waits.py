"""The callback wait the phone form showed, carried to the submission so that the ticket
keeps the very figure the customer read (not one worked out again a moment later).

The form holds it signed: a hand-edited figure is ignored, and so is one for another queue
(the language or area changed without the figure following, e.g. without JavaScript).
"""

from __future__ import annotations

import math
from typing import Any

from django.core import signing

from routing.erlang import WaitEstimate, WaitInputs
from routing.policy import MethodOffer

_SALT = "hub.flow.shown-wait"
# A form left open longer than this is quoted afresh on submission.
MAX_AGE_SECONDS = 24 * 3600


def _queue(offer: MethodOffer) -> list[str]:
    key = offer.queue
    return [key.language, key.area, str(key.team)] if key is not None else []


def shown_wait_token(offer: MethodOffer) -> str:
    """The signed figure the form shows now ("" when it shows none)."""
    estimate = offer.wait
    if not offer.is_available or estimate is None or estimate.inputs is None:
        return ""
    if not math.isfinite(estimate.high_seconds):
        return ""
    inputs = estimate.inputs
    payload: dict[str, Any] = {
        "queue": _queue(offer),
        "wait": [
            estimate.expected_seconds,
            estimate.low_seconds,
            estimate.high_seconds,
            estimate.probability_of_waiting,
        ],
        "inputs": [
            inputs.agents,
            inputs.arrivals_per_hour,
            inputs.handle_seconds,
            inputs.position,
            inputs.effective_handle_seconds,
            inputs.absent_share,
        ],
    }
    return signing.dumps(payload, salt=_SALT, compress=True)


def shown_wait(token: str, offer: MethodOffer) -> WaitEstimate | None:
    """The figure the form showed for this offer's queue; None when there is none to trust."""
    if not token:
        return None
    try:
        payload = signing.loads(token, salt=_SALT, max_age=MAX_AGE_SECONDS)
        if payload["queue"] != _queue(offer):
            return None
        expected, low, high, p_wait = (float(value) for value in payload["wait"])
        agents, arrivals, handle, position, effective, absent = payload["inputs"]
        inputs = WaitInputs(
            agents=int(agents),
            arrivals_per_hour=float(arrivals),
            handle_seconds=float(handle),
            position=int(position),
            effective_handle_seconds=float(effective),
            absent_share=float(absent),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return WaitEstimate(expected, low, high, p_wait, inputs)
