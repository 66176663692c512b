from botbuilder.core import TurnContext
from botbuilder.schema import Activity, Attachment

from bot.wire import activity_from_json, to_json
from tests.teams_channel.activities import card_action, message


def test_cached_serializers_match_msrest_exactly() -> None:
    for body in (
        message("ヘルプ", service_url="https://smba.trafficmanager.net/jp/", mention_bot=True),
        card_action("help", {"x": 1}, service_url="https://smba.trafficmanager.net/jp/", conversation_type="channel"),
    ):
        ours, theirs = activity_from_json(body), Activity().deserialize(body)
        assert to_json(ours) == theirs.serialize()
        assert to_json(TurnContext.get_conversation_reference(ours)) == (
            TurnContext.get_conversation_reference(theirs).serialize()
        )
    reply = Activity(type="message", attachments=[Attachment(content_type="x", content={"a": "日本語"})])
    assert to_json(reply) == reply.serialize()


def test_activity_to_json_keeps_cards_as_they_are_and_matches_msrest() -> None:
    from bot.wire import activity_to_json
    from cards.help import help_card

    card = help_card("ja", [("ヘルプ", "help.command.help")])
    reply = Activity(type="message", text="x", attachments=[Attachment(content_type="a", content=card)])
    assert activity_to_json(reply) == reply.serialize()
    assert reply.attachments[0].content is card  # the caller's activity is left as it was
