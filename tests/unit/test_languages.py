from bot.languages import LanguagePreferences
from bot.store import Store


async def test_choices_made_elsewhere_arrive_by_sync_and_unknown_users_cost_no_query(store: Store) -> None:
    this_instance = LanguagePreferences(store.preferences, sync_seconds=0)
    other_instance = LanguagePreferences(store.preferences, sync_seconds=0)
    assert await this_instance.language("u1", "ja-JP") == "ja"
    await other_instance.choose("u1", "t1", "en")
    assert await this_instance.language("u1", "ja-JP") == "en"
    await store.preferences.set_locale("u1", "t1", None)  # back to following Teams
    assert await this_instance.language("u1", "en-US") == "en"
    assert await this_instance.language("u1", "ja-JP") == "ja"
