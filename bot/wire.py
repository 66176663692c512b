"""Bot Framework JSON <-> botbuilder models, with one serializer and one deserializer for the process.

msrest's `Model.serialize()` / `Model.deserialize()` rebuild a (de)serializer and its table of every schema
model on each call; on the hot path that was a few per cent of all CPU for nothing. Same models, same output.
"""

from __future__ import annotations

from typing import Any

import botbuilder.schema
from botbuilder.schema import Activity
from msrest.serialization import Deserializer, Model, Serializer

# The exact table `Model._infer_class_models()` builds for botbuilder.schema's models.
_MODELS = {name: value for name, value in vars(botbuilder.schema).items() if isinstance(value, type)}
_SERIALIZER = Serializer(_MODELS)
_DESERIALIZER = Deserializer(_MODELS)


def to_json(model: Model) -> dict[str, Any]:
    """What `model.serialize()` returns."""
    return _SERIALIZER._serialize(model)


def activity_to_json(activity: Activity) -> dict[str, Any]:
    """What `activity.serialize()` returns, without msrest walking every node of the attached cards.

    Attachment contents are already plain JSON (our card builders make dicts); msrest would copy them node by
    node, which was a fifth of the bot's CPU under load.
    """
    attachments = activity.attachments or []
    contents = [attachment.content for attachment in attachments]
    try:
        for attachment in attachments:
            attachment.content = None
        body = _SERIALIZER._serialize(activity)
    finally:
        for attachment, content in zip(attachments, contents, strict=True):
            attachment.content = content
    for serialized, content in zip(body.get("attachments", []), contents, strict=True):
        if content is not None:
            serialized["content"] = content
    return body


def activity_from_json(body: dict[str, Any]) -> Activity:
    """What `Activity().deserialize(body)` returns."""
    return _DESERIALIZER("Activity", body)
