from bot.conversations import RECHECK_SECONDS, ConversationDirectory
from bot.store import Store
from bot.wire import activity_from_json
from tests.teams_channel.activities import message


async def test_an_unchanged_conversation_is_rewritten_now_and_then_so_a_403_mark_is_lifted(store: Store) -> None:
    now = [1000.0]
    directory = ConversationDirectory(store.conversations, clock=lambda: now[0])
    activity = activity_from_json(message("help", service_url="https://smba.trafficmanager.net/jp/"))
    conversation_id = activity.conversation.id
    await directory.observe(activity, "ja-JP")
    await store.conversations.mark_failed(conversation_id, 403, "BotDisabledByAdmin")

    await directory.observe(activity, "ja-JP")  # cached: no write
    assert (await store.conversations.get(conversation_id)).status == "blocked"  # type: ignore[union-attr]

    now[0] += RECHECK_SECONDS + 1
    await directory.observe(activity, "ja-JP")  # the user is talking to the bot: reachable again
    assert (await store.conversations.get(conversation_id)).status == "active"  # type: ignore[union-attr]
