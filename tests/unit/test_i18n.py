from bot.i18n import LANGUAGES, catalog, language_of, placeholders, t


def test_both_catalogs_have_the_same_keys_and_placeholders() -> None:
    ja, en = catalog("ja"), catalog("en")
    assert set(ja) == set(en), f"only in ja: {set(ja) - set(en)}, only in en: {set(en) - set(ja)}"
    for key in ja:
        assert placeholders(ja[key]) == placeholders(en[key]), key
        assert ja[key].strip() and en[key].strip(), key


def test_japanese_is_the_default_and_english_follows_english_locales() -> None:
    assert LANGUAGES[0] == "ja"
    assert [language_of(x) for x in ("ja-JP", None, "", "fr-FR", "en-US", "en-GB", "EN")] == [
        "ja",
        "ja",
        "ja",
        "ja",
        "en",
        "en",
        "en",
    ]
    assert t("help.title") == "使い方" and t("help.title", "en") == "How to use"
    assert "abc" in t("error.generic", "en", correlation_id="abc")


def test_every_part_file_exists_in_both_languages() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "bot" / "i18n"
    assert sorted(p.name for p in (root / "ja").glob("*.json")) == sorted(p.name for p in (root / "en").glob("*.json"))
